//! Building snapshots for a stream and verifying stored ones against a full replay.

use serde::Serialize;
use serde_json::Value;

use super::ReplayError;
use super::travel::TimeTravel;
use crate::store::Version;

/// What `snapshot build` did for one stream.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SnapshotBuild {
    /// The stream built.
    pub stream_id: String,
    /// The id of the reducer whose snapshots were stored.
    pub reducer: String,
    /// The stream's version at the end of the build.
    pub version: Version,
    /// Snapshots stored.
    pub snapshots: u64,
}

/// A stored snapshot that differs from the replayed state.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Drift {
    /// The stream whose snapshot drifted.
    pub stream_id: String,
    /// The snapshot's version.
    pub version: Version,
    /// The reducer id the snapshot was stored under.
    pub reducer: String,
    /// The first JSON path (RFC 6901 pointer) where the two differ.
    pub path: String,
    /// The stored state.
    pub snapshot: Value,
    /// The state a full replay to that version gives.
    pub replayed: Value,
}

/// `snapshot verify` for one stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyReport {
    /// Snapshots compared with a replay.
    pub checked: u64,
    /// Those that differ.
    pub drifts: Vec<Drift>,
}

impl TimeTravel {
    /// Replays the whole stream and stores a snapshot every `every` versions.
    pub async fn build_snapshots(
        &self,
        stream_id: &str,
        every: u64,
    ) -> Result<SnapshotBuild, ReplayError> {
        let every = every.max(1);
        let version = self.store.stream_version(stream_id).await?;
        let outcome = self
            .fold(stream_id, None, version, move |v| v != 0 && v % every == 0)
            .await?;
        let snapshots = outcome.captured.len() as u64;
        self.save(stream_id, outcome.captured).await?;
        Ok(SnapshotBuild {
            stream_id: stream_id.to_owned(),
            reducer: self.reducer.id.clone(),
            version,
            snapshots,
        })
    }

    /// Checks every snapshot this reducer stored for the stream against a full replay.
    /// Drift is reported, never repaired.
    pub async fn verify_snapshots(&self, stream_id: &str) -> Result<VerifyReport, ReplayError> {
        let stored = self.store.snapshots_of(stream_id, &self.reducer.id).await?;
        let Some(last) = stored.last().map(|s| s.version) else {
            return Ok(VerifyReport::default());
        };
        let versions: std::collections::HashSet<Version> =
            stored.iter().map(|s| s.version).collect();
        let outcome = self
            .fold(stream_id, None, last, move |v| versions.contains(&v))
            .await?;
        let mut report = VerifyReport {
            checked: stored.len() as u64,
            drifts: Vec::new(),
        };
        for snapshot in stored {
            let kept: Value = serde_json::from_str(snapshot.state.get())
                .map_err(|e| ReplayError::BadSnapshot(e.to_string()))?;
            let replayed = outcome
                .captured
                .iter()
                .find(|(v, _)| *v == snapshot.version)
                .map(|(_, s)| s.clone())
                // A snapshot past the stream's end cannot match anything.
                .unwrap_or(Value::Null);
            if kept != replayed {
                report.drifts.push(Drift {
                    stream_id: stream_id.to_owned(),
                    version: snapshot.version,
                    reducer: snapshot.reducer,
                    path: first_difference(&kept, &replayed),
                    snapshot: kept,
                    replayed,
                });
            }
        }
        Ok(report)
    }
}

/// The RFC 6901 pointer of the first place where `a` and `b` differ ("" for the root).
pub fn first_difference(a: &Value, b: &Value) -> String {
    json_patch::diff(a, b)
        .0
        .first()
        .map(|op| match op {
            json_patch::PatchOperation::Add(o) => o.path.to_string(),
            json_patch::PatchOperation::Remove(o) => o.path.to_string(),
            json_patch::PatchOperation::Replace(o) => o.path.to_string(),
            json_patch::PatchOperation::Move(o) => o.path.to_string(),
            json_patch::PatchOperation::Copy(o) => o.path.to_string(),
            json_patch::PatchOperation::Test(o) => o.path.to_string(),
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::first_difference;

    #[test]
    fn names_the_first_differing_path() {
        assert_eq!(
            first_difference(&json!({"a": {"b": 1}}), &json!({"a": {"b": 2}})),
            "/a/b"
        );
        assert_eq!(
            first_difference(&json!({"a": [1, 2]}), &json!({"a": [1]})),
            "/a/1"
        );
        assert_eq!(first_difference(&json!(1), &json!(2)), "");
    }
}
