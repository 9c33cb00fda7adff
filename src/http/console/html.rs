//! The console's HTML: escaping, the page around every view, the sign-in form, and the
//! embedded assets (stylesheet, script, icon), compiled into the binary.

/// The stylesheet.
pub const CSS: &str = include_str!("assets/console.css");
/// The one script: live updates of the calls list, and an error marker for the tests.
pub const JS: &str = include_str!("assets/console.js");
/// The tab's icon (served, so the browser asks this server and nobody else).
pub const ICON: &str = include_str!("assets/icon.svg");

/// Escapes text for HTML content and double-quoted attribute values (every attribute the
/// console writes is double-quoted): the TwiML writer's escaping, the one the crate has,
/// which also drops the characters XML forbids (control characters a caller's value may
/// carry).
pub fn esc(s: &str) -> String {
    crate::twiml::escaped(s, true)
}

/// Percent-encodes a value for a URL's path segment or query.
pub fn url(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The page around a view. `nav` marks the current section (`calls`, `flows`, or none).
pub fn layout(title: &str, nav: &str, main: &str) -> String {
    let current = |name: &str| {
        if name == nav {
            " aria-current=\"page\""
        } else {
            ""
        }
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · switchboard</title>\
         <link rel=\"icon\" href=\"/console/assets/icon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
         <script src=\"/console/assets/console.js\" defer></script></head>\
         <body><a class=\"skip\" href=\"#main\">Skip to content</a>\
         <header><nav aria-label=\"Console\"><span class=\"brand\">switchboard</span>\
         <a href=\"/console/\"{c}>Calls</a><a href=\"/console/flows\"{f}>Flows</a>\
         <form method=\"post\" action=\"/console/logout\" class=\"signout\">\
         <button type=\"submit\">Sign out</button></form></nav></header>\
         <main id=\"main\">{main}</main></body></html>\n",
        title = esc(title),
        c = current("calls"),
        f = current("flows"),
    )
}

/// The sign-in form, with an error when the last try was wrong.
pub fn login(error: Option<&str>) -> String {
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" id=\"login-error\">{}</p>",
                esc(e)
            )
        })
        .unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign in · switchboard</title>\
         <link rel=\"icon\" href=\"/console/assets/icon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/console/assets/console.css\">\
         <script src=\"/console/assets/console.js\" defer></script></head>\
         <body><main id=\"main\" class=\"login\"><h1>switchboard console</h1>{error}\
         <form method=\"post\" action=\"/console/login\">\
         <label for=\"token\">Admin token</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" \
         required autofocus>\
         <button type=\"submit\">Sign in</button></form>\
         <p class=\"note\">The token is the server's admin token (SWITCHBOARD_ADMIN_TOKEN). \
         A sign-in lasts 12 hours.</p></main></body></html>\n"
    )
}

/// A console path that names nothing.
pub fn not_found() -> String {
    layout(
        "Not found",
        "",
        "<h1>Not found</h1><p>Nothing here. <a href=\"/console/\">Back to the calls</a>.</p>",
    )
}

/// A page saying why there is nothing to show.
pub fn message(title: &str, nav: &str, text: &str) -> String {
    layout(
        title,
        nav,
        &format!("<h1>{}</h1><p>{}</p>", esc(title), esc(text)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(esc("a\u{1b}[31m"), "a[31m");
        assert_eq!(url("+1 415/&"), "%2B1+415%2F%26");
    }

    #[test]
    fn pages_load_nothing_inline() {
        let page = layout("Calls <x>", "calls", "<p>hi</p>");
        assert!(page.contains("<title>Calls &lt;x&gt; · switchboard</title>"));
        assert!(page.contains("href=\"/console/\" aria-current=\"page\""));
        for p in [page, login(Some("wrong"))] {
            assert!(!p.contains("<script>"), "inline script");
            assert!(!p.contains("style="), "inline style");
            assert!(
                !p.contains("http://") && !p.contains("https://"),
                "another host"
            );
        }
    }
}
