//! The metric types the request path touches: plain relaxed atomics, no lock, encoded by
//! prometheus-client's encoder at scrape time through its `EncodeMetric` trait.
//!
//! prometheus-client's own `Family` takes an `RwLock` per lookup and its `Histogram` a mutex
//! per observation; with every request thread counting into the same few series, those
//! locks are where the threads would meet. Here a series is an `AtomicU64` found by index
//! (an enum's position, or a flow's slot in [`Table`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

/// Adds one.
pub(super) fn inc(c: &AtomicU64) {
    c.fetch_add(1, Relaxed);
}

/// The value now.
pub(super) fn get_all(c: &AtomicU64) -> u64 {
    c.load(Relaxed)
}

/// Upper bounds of the latency buckets, in seconds: 0.5 ms (a menu answered from memory)
/// to 15 s, where Twilio gives up on a webhook; `+Inf` follows.
pub const LATENCY_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
];

/// [`LATENCY_BUCKETS`] in nanoseconds, compared against without floating point.
const LATENCY_BUCKETS_NS: [u64; 15] = {
    let mut ns = [0u64; 15];
    let mut i = 0;
    while i < ns.len() {
        ns[i] = (LATENCY_BUCKETS[i] * 1e9) as u64;
        i += 1;
    }
    ns
};

/// A latency histogram of atomics: one count per bucket (not cumulative: an observation
/// touches one bucket) and the sum in nanoseconds. The count is the buckets' total, so an
/// observation is two relaxed additions. A scrape may see a bucket's addition before the
/// sum's; the next scrape agrees again, as with any lock-free histogram.
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket, in [`LATENCY_BUCKETS`] order, then `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    /// Sum of the observations, in nanoseconds (584 years of latency before it wraps).
    sum_ns: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // `le` is inclusive: an observation equal to a bound belongs to that bucket.
        let slot = LATENCY_BUCKETS_NS.partition_point(|&bound| bound < ns);
        inc(&self.buckets[slot]);
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    /// Non-cumulative counts with their upper bounds (`+Inf` last), the sum in seconds and
    /// the count, as the encoder takes them.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let bounds = LATENCY_BUCKETS.iter().copied().chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds.zip(self.buckets.iter().map(get_all)).collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        (buckets, get_all(&self.sum_ns) as f64 / 1e9, count)
    }
}

/// A histogram as the encoder takes it: (upper bound, count) per bucket, not cumulative,
/// `+Inf` last; the sum in seconds; the count.
pub type HistogramSnapshot = (Vec<(f64, u64)>, f64, u64);

/// How a series' value is encoded.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Counter,
    Gauge,
}

/// One series of a metric family: its label pairs and its value.
pub(super) type Series<'a> = (Vec<(&'static str, &'a str)>, u64);

/// A family as read at scrape time from the atomics: every series with its labels (copied:
/// the registry holds `'static` metrics).
pub(super) struct Snapshot {
    /// Counter or gauge.
    pub(super) kind: Kind,
    /// The series.
    pub(super) series: Vec<(Vec<(&'static str, String)>, u64)>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Snapshot")
    }
}

impl EncodeMetric for Snapshot {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (labels, value) in &self.series {
            let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let labels = labels.as_slice();
            let mut e = encoder.encode_family(&labels)?;
            match self.kind {
                Kind::Counter => e.encode_counter::<NoLabelSet, _, u64>(value, None)?,
                Kind::Gauge => e.encode_gauge(&i64::try_from(*value).unwrap_or(i64::MAX))?,
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        match self.kind {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge => MetricType::Gauge,
        }
    }
}

/// The latency histograms of the routes that have seen a request, read at scrape time:
/// (route, (buckets, sum, count)).
pub(super) struct Histograms(pub(super) Vec<(&'static str, HistogramSnapshot)>);

impl std::fmt::Debug for Histograms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Histograms")
    }
}

impl EncodeMetric for Histograms {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for (route, (buckets, sum, count)) in &self.0 {
            let labels = [("route", *route)];
            let mut e = encoder.encode_family(&labels)?;
            e.encode_histogram::<NoLabelSet>(*sum, *count, buckets, None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// One series per name in `names` (then `other`), read from `counts` in the same order.
pub(super) fn by_name<'a>(
    label: &'static str,
    names: &[&'a str],
    counts: &[AtomicU64],
) -> Vec<Series<'a>> {
    names
        .iter()
        .chain(&["other"])
        .zip(counts)
        .map(|(n, c)| (vec![(label, *n)], get_all(c)))
        .collect()
}

/// Index of `value` in `names`, or the `other` slot after them.
pub(super) fn slot(names: &[&str], value: &str) -> usize {
    names
        .iter()
        .position(|n| *n == value)
        .unwrap_or(names.len())
}

/// Operator-named label values (flows, notification channels) and their counters, read
/// without a lock: the request path loads the table (one atomic load) and looks the name
/// up; changes build a new table and swap it in (reloads, a channel's first use), one at a
/// time under `change`.
pub(super) struct Table<C> {
    /// Name → counters; a name's counters are kept across changes that keep the name.
    current: ArcSwap<HashMap<Arc<str>, Arc<C>>>,
    /// Serialises changes, so two cannot lose each other's names.
    change: Mutex<()>,
}

impl<C: Default> Table<C> {
    pub(super) fn new() -> Table<C> {
        Table {
            current: ArcSwap::from_pointee(HashMap::new()),
            change: Mutex::new(()),
        }
    }

    /// Runs `f` on the counters of `name`, or of `fallback` when the table lacks `name`;
    /// `false` when it has neither. No reference count is touched (a shared write every
    /// request thread would make): the table is borrowed through `arc_swap`'s guard.
    pub(super) fn with(&self, name: &str, fallback: &str, f: impl FnOnce(&C)) -> bool {
        let table = self.current.load();
        match table.get(name).or_else(|| table.get(fallback)) {
            Some(c) => {
                f(c);
                true
            }
            None => false,
        }
    }

    /// Every name and its counters, sorted by name (a stable scrape).
    pub(super) fn entries(&self) -> Vec<(Arc<str>, Arc<C>)> {
        let mut all: Vec<_> = self
            .current
            .load()
            .iter()
            .map(|(k, v)| (Arc::clone(k), Arc::clone(v)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Makes the table exactly `names`: counters of names already there are kept, new
    /// names start at zero, the rest are dropped.
    pub(super) fn replace<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        let _one = self.lock();
        let old = self.current.load();
        let new: HashMap<Arc<str>, Arc<C>> = names
            .into_iter()
            .map(|n| match old.get_key_value(n) {
                Some((k, v)) => (Arc::clone(k), Arc::clone(v)),
                None => (Arc::from(n), Arc::new(C::default())),
            })
            .collect();
        self.current.store(Arc::new(new));
    }

    /// The counters of `name`, added when the table has fewer than `cap` names; `None`
    /// when it is full.
    pub(super) fn get_or_add(&self, name: &str, cap: usize) -> Option<Arc<C>> {
        if let Some(c) = self.current.load().get(name) {
            return Some(Arc::clone(c));
        }
        let _one = self.lock();
        let old = self.current.load();
        if let Some(c) = old.get(name) {
            return Some(Arc::clone(c));
        }
        if old.len() >= cap {
            return None;
        }
        let mut new = HashMap::clone(&old);
        let c = Arc::new(C::default());
        new.insert(Arc::from(name), Arc::clone(&c));
        self.current.store(Arc::new(new));
        Some(c)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // Guards `()`: a panic elsewhere leaves nothing half-made.
        self.change
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
