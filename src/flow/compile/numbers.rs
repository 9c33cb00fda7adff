//! The `numbers:` of every flow: patterns, and the index from dialed number to flow.

use super::*;

/// The shape of a number pattern.
#[derive(Debug, PartialEq, Eq)]
pub enum NumberPattern<'a> {
    Exact(&'a str),
    Prefix(&'a str),
}

/// Parses a `numbers:` entry.
pub fn parse_number_pattern(s: &str) -> Result<NumberPattern<'_>, String> {
    if let Some(prefix) = s.strip_suffix('*') {
        let digits = prefix.strip_prefix('+').ok_or_else(|| {
            format!("prefix pattern `{s}` must start with `+` (E.164), e.g. `+1415555*`")
        })?;
        if digits.is_empty() || digits.len() > 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "prefix pattern `{s}` must be `+`, 1 to 14 digits, then `*`"
            ));
        }
        return Ok(NumberPattern::Prefix(prefix));
    }
    if is_e164(s) || is_sip(s) || is_client(s) {
        Ok(NumberPattern::Exact(s))
    } else {
        Err(format!(
            "`{s}` is not an E.164 number (`+14155550100`), a SIP URI (`sip:desk@example.com`), a client (`client:alice`) or a prefix pattern (`+1415*`)"
        ))
    }
}

/// `+` then 2 to 15 digits, the first not zero.
pub fn is_e164(s: &str) -> bool {
    let Some(d) = s.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
}

/// `sip:` or `sips:` then a non-empty URI without spaces.
pub fn is_sip(s: &str) -> bool {
    let rest = s.strip_prefix("sip:").or_else(|| s.strip_prefix("sips:"));
    matches!(rest, Some(r) if !r.is_empty() && !r.chars().any(|c| c.is_whitespace() || c.is_control()))
}

/// `client:` then an identity of up to 256 characters without spaces.
pub fn is_client(s: &str) -> bool {
    matches!(s.strip_prefix("client:"), Some(r) if !r.is_empty() && r.len() <= 256 && !r.chars().any(|c| c.is_whitespace() || c.is_control()))
}

pub(super) fn index_numbers(flows: &[ParsedFlow], diags: &mut Vec<Diagnostic>) -> NumberIndex {
    let mut idx = NumberIndex::default();
    let mut seen: HashMap<String, (FlowId, Loc)> = HashMap::new();
    let mut default_seen: Option<(FlowId, Loc)> = None;
    for (i, pf) in flows.iter().enumerate() {
        let id = FlowId::new(i);
        for n in &pf.raw.numbers {
            let loc = Loc::at(&pf.file, n.referenced);
            let key = match parse_number_pattern(&n.value) {
                Ok(NumberPattern::Exact(e)) => e.to_string(),
                Ok(NumberPattern::Prefix(p)) => format!("{p}*"),
                Err(msg) => {
                    diags.push(Diagnostic::error(Kind::BadNumber, loc, msg));
                    continue;
                }
            };
            if let Some((other, prev)) = seen.get(&key) {
                let msg = if *other == id {
                    format!("`{key}` is listed twice in this flow (first at {prev})")
                } else {
                    format!(
                        "`{key}` is already claimed by flow `{}` at {prev}",
                        flows[other.index()].name
                    )
                };
                diags.push(Diagnostic::error(Kind::DuplicateNumber, loc, msg));
                continue;
            }
            idx.insert(&key, id);
            seen.insert(key, (id, loc));
        }
        if let Some(d) = &pf.raw.default
            && d.value
        {
            let loc = Loc::at(&pf.file, d.referenced);
            if let Some((other, prev)) = &default_seen {
                diags.push(Diagnostic::error(
                    Kind::DuplicateNumber,
                    loc,
                    format!(
                        "flow `{}` is already the default (at {prev}); only one flow can be",
                        flows[other.index()].name
                    ),
                ));
            } else {
                default_seen = Some((id, loc));
                idx.default = Some(id);
            }
        }
    }
    idx
}
