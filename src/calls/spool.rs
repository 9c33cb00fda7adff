//! The spool: records the database could not take, appended to local files and fsync'ed
//! before the callbacks they came from are acknowledged, and replayed into the database
//! when it is back.
//!
//! Layout: a directory of segment files named `{micros}-{pid}-{n}.spool`, replayed in name
//! order (order does not matter for correctness: ingestion is idempotent and
//! order-independent). Each line is `{check} {json}\n`, where `check` is the first 8 hex
//! digits of the SHA-256 of the JSON: a line torn by a crash mid-write fails the check and
//! is skipped. It was never acknowledged, since acknowledging waits for the fsync.
//!
//! One spool directory belongs to one server process: replicas each have their own.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::record::Record;

/// A segment is closed once it holds this much: replay reads one segment at a time.
const SEGMENT_BYTES: u64 = 8 << 20;

/// Why the spool did not take records.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// It would grow past `--spool-max`.
    #[error("the spool is full ({bytes} bytes of {max})")]
    Full {
        /// Bytes spooled now.
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// Writing or syncing failed (disk full, read-only, gone).
    #[error("the spool cannot be written: {0}")]
    Io(#[from] io::Error),
}

/// The spool directory.
pub struct Spool {
    /// Where the segments are.
    dir: PathBuf,
    /// Most bytes it may hold.
    max_bytes: u64,
    /// The open segment and the byte count.
    state: Mutex<State>,
}

/// What the spool tracks between calls.
#[derive(Default)]
struct State {
    /// The segment being appended to, and its length.
    current: Option<(PathBuf, File, u64)>,
    /// Bytes in all segments.
    bytes: u64,
    /// Segments created by this process (for unique names).
    made: u64,
}

/// A segment read back.
#[derive(Debug, Default)]
pub struct Segment {
    /// The records it holds.
    pub records: Vec<Record>,
    /// Lines that failed the check (torn by a crash) or could not be read.
    pub skipped: usize,
}

impl Spool {
    /// Opens (creating) the directory and counts what is already spooled.
    pub fn open(dir: &Path, max_bytes: u64) -> io::Result<Spool> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let spool = Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            state: Mutex::new(State::default()),
        };
        let mut bytes = 0;
        for seg in spool.segments()? {
            bytes += fs::metadata(&seg).map(|m| m.len()).unwrap_or(0);
        }
        spool.lock().bytes = bytes;
        Ok(spool)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes spooled.
    pub fn bytes(&self) -> u64 {
        self.lock().bytes
    }

    /// The limit.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a file handle and a counter; a panic mid-append leaves at worst a
        // torn line, which the check skips.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends records and syncs them to disk. When this returns `Ok`, they survive a crash.
    pub fn append(&self, records: &[Record]) -> Result<(), SpoolError> {
        let buf = lines(records)?;
        let mut st = self.lock();
        let len = buf.len() as u64;
        if st.bytes + len > self.max_bytes {
            return Err(SpoolError::Full {
                bytes: st.bytes,
                max: self.max_bytes,
            });
        }
        if st
            .current
            .as_ref()
            .is_some_and(|(_, _, n)| *n >= SEGMENT_BYTES)
        {
            st.current = None;
        }
        if st.current.is_none() {
            st.made += 1;
            let name = format!(
                "{}-{}-{}.spool",
                jiff::Timestamp::now().as_microsecond(),
                std::process::id(),
                st.made
            );
            let path = self.dir.join(name);
            // Call records are personal data: the owner alone reads them, whatever the umask.
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .mode(0o600)
                .open(&path)?;
            // The new name must survive a power cut too.
            File::open(&self.dir)?.sync_all()?;
            st.current = Some((path, file, 0));
        }
        let result = match &mut st.current {
            Some((_, file, n)) => {
                *n += len;
                file.write_all(&buf).and_then(|()| file.sync_data())
            }
            None => Ok(()),
        };
        if let Err(e) = result {
            // A half-written tail is skipped by the check on replay; a fresh segment is
            // started next time.
            st.current = None;
            return Err(SpoolError::Io(e));
        }
        st.bytes += len;
        Ok(())
    }

    /// Closes the open segment so that every segment can be replayed and removed.
    pub fn rotate(&self) {
        self.lock().current = None;
    }

    /// The closed segments, oldest first (call [`Spool::rotate`] first to include all).
    pub fn segments(&self) -> io::Result<Vec<PathBuf>> {
        let open = self.lock().current.as_ref().map(|(p, _, _)| p.clone());
        let mut out: Vec<PathBuf> = fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "spool"))
            .filter(|p| Some(p) != open.as_ref())
            .collect();
        out.sort();
        Ok(out)
    }

    /// Reads a segment back.
    pub fn read(path: &Path) -> io::Result<Segment> {
        let mut seg = Segment::default();
        for line in BufReader::new(File::open(path)?).split(b'\n') {
            let line = line?;
            let parsed = line
                .split_first_chunk::<8>()
                .and_then(|(sum, rest)| rest.strip_prefix(b" ").map(|json| (sum, json)))
                .filter(|(sum, json)| check(json).as_bytes() == sum.as_slice())
                .and_then(|(_, json)| serde_json::from_slice::<Record>(json).ok());
            match parsed {
                Some(r) => seg.records.push(r),
                None if line.is_empty() => {}
                None => seg.skipped += 1,
            }
        }
        Ok(seg)
    }

    /// Appends records the database refuses to `quarantine.jsonl` (same line format, never
    /// replayed: an operator reads it, fixes the cause and moves it back as a `.spool`).
    pub fn quarantine(&self, records: &[Record]) -> io::Result<()> {
        let buf = lines(records)?;
        let _guard = self.lock();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(self.dir.join("quarantine.jsonl"))?;
        file.write_all(&buf)?;
        file.sync_data()
    }

    /// Removes a replayed segment.
    pub fn remove(&self, path: &Path) -> io::Result<()> {
        let len = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        fs::remove_file(path)?;
        let mut st = self.lock();
        st.bytes = st.bytes.saturating_sub(len);
        Ok(())
    }
}

/// Records as spool lines: `{check} {json}\n` each.
fn lines(records: &[Record]) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(records.len() * 512);
    for r in records {
        let json = serde_json::to_string(r).map_err(io::Error::other)?;
        buf.extend_from_slice(check(json.as_bytes()).as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(json.as_bytes());
        buf.push(b'\n');
    }
    Ok(buf)
}

/// The first 8 hex digits of the SHA-256 of a line's JSON.
fn check(json: &[u8]) -> String {
    let d = Sha256::digest(json);
    let mut s = String::with_capacity(8);
    for b in &d[..4] {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::record::Body;

    fn rec(n: u32) -> Record {
        Record::expired(&format!("CA{n:032}"), i64::from(n), "test")
    }

    #[test]
    fn appended_records_read_back_and_torn_lines_are_skipped() {
        let dir = std::env::temp_dir().join(format!("sb-spool-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let spool = Spool::open(&dir, 1 << 20).unwrap();
        spool.append(&[rec(1), rec(2)]).unwrap();
        spool.append(&[rec(3)]).unwrap();
        assert!(spool.bytes() > 0);
        spool.rotate();
        let segs = spool.segments().unwrap();
        assert_eq!(segs.len(), 1);
        // Personal data: the owner alone reads it (the umask may be 022).
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&segs[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        // A crash mid-append: a torn line at the end.
        let mut f = OpenOptions::new().append(true).open(&segs[0]).unwrap();
        f.write_all(b"0123abcd {\"key\":\"tor").unwrap();
        let seg = Spool::read(&segs[0]).unwrap();
        assert_eq!(seg.records, vec![rec(1), rec(2), rec(3)]);
        assert_eq!(seg.skipped, 1);
        assert!(matches!(seg.records[0].body, Body::Expired));
        // Reopening counts what is there; removing gives the bytes back.
        let again = Spool::open(&dir, 1 << 20).unwrap();
        assert!(again.bytes() > 0);
        again.remove(&segs[0]).unwrap();
        assert_eq!(again.bytes(), 0);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_full_spool_refuses() {
        let dir = std::env::temp_dir().join(format!("sb-spool-full-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let spool = Spool::open(&dir, 200).unwrap();
        spool.append(&[rec(1)]).unwrap();
        let err = spool.append(&[rec(2), rec(3), rec(4)]).unwrap_err();
        assert!(matches!(err, SpoolError::Full { .. }), "{err}");
        let _ = fs::remove_dir_all(&dir);
    }
}
