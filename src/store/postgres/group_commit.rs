//! Group commit: appends of new events that one process's tasks make at the same time
//! share one `rewind_append` call — one transaction, one WAL flush, one round trip.
//!
//! With `synchronous_commit` on, every commit waits for its WAL flush, and PostgreSQL
//! flushes one commit's WAL after another: what limits many writers is appends per
//! flush. So an append is queued, and one call at a time carries every append waiting.
//! A lone writer waits for nothing: its append starts a call at once. After a call, the
//! next one waits a few scheduler turns for the writers it just answered to come back
//! with their next append, so that 8 writers make one call of 8, not two of 4 that
//! alternate (measured in `cargo bench --bench postgres`, see README). A call that is
//! held up (a stream locked by another process's long transaction) does not hold up the
//! rest for long: an append waiting more than `STALLED` starts another call beside it.
//!
//! Each append keeps its own semantics: its segments stay together and in order, its
//! expected versions are checked against the stream as the appends before it in the call
//! left it, and one append's failure never fails another's. A call the database refuses
//! has written nothing, so: a conflict names its segment — that append is taken out and
//! answered alone after the others (so an earlier append to the same stream wins, as it
//! would have unbatched); any other refusal (content PostgreSQL cannot hold, say) sends
//! each append alone, for its own answer. Only a failure whose outcome is unknown (the
//! connection lost mid-call) is given to every append of the call, as it would be to one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::oneshot;

use super::write::{self, Appended, CallFailure};
use crate::store::error::{Result, StoreError};
use crate::store::model::AppendSegment;

/// Calls running at once, normally. One: two calls in flight flush one after the other
/// anyway, and split the writers between them (8 writers, same run: about 3,400 appends/s
/// with two, 4,800 with one).
const CALLS: usize = 1;

/// An append still waiting after this long starts a call of its own beside the ones
/// running, up to `MAX_CALLS` (the store's pool has 10 connections).
const STALLED: Duration = Duration::from_millis(50);
const MAX_CALLS: usize = 4;

/// Scheduler turns the next call waits for the writers just answered to come back.
const RETURN_TURNS: usize = 16;

/// A call carries at most this many events and bytes of JSON; a larger append goes alone.
const MAX_EVENTS: usize = 1_000;
const MAX_BYTES: usize = 4 << 20;

/// The appends waiting to be sent, and the calls running.
pub struct GroupCommit {
    queue: Arc<Mutex<Queue>>,
    pool: PgPool,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<Request>,
    calls: usize,
}

struct Request {
    segments: Vec<AppendSegment>,
    events: usize,
    bytes: usize,
    reply: oneshot::Sender<Result<Appended>>,
}

impl GroupCommit {
    pub fn new(pool: PgPool) -> GroupCommit {
        GroupCommit {
            queue: Arc::new(Mutex::new(Queue::default())),
            pool,
        }
    }

    /// Appends new events (no caller-given ids), sharing a call with the appends waiting
    /// beside it.
    pub async fn append(&self, segments: Vec<AppendSegment>) -> Result<Appended> {
        let (reply, answer) = oneshot::channel();
        let events = segments.iter().map(|s| s.events.len()).sum();
        let bytes = segments
            .iter()
            .flat_map(|s| &s.events)
            .map(|e| e.data.get().len() + e.metadata.as_ref().map_or(0, |m| m.get().len()))
            .sum();
        lock(&self.queue).waiting.push_back(Request {
            segments,
            events,
            bytes,
            reply,
        });
        if self.start_call(CALLS) {
            self.spawn_call();
        }
        let mut answer = answer;
        let answered = match tokio::time::timeout(STALLED, &mut answer).await {
            Ok(answered) => answered,
            Err(_) => {
                // Held up behind a slow call: another, beside it, takes what waits.
                if self.start_call(MAX_CALLS) {
                    self.spawn_call();
                }
                answer.await
            }
        };
        answered.unwrap_or_else(|_| {
            Err(StoreError::Database(
                "the append was interrupted before PostgreSQL answered; whether it was \
                 written is unknown"
                    .into(),
            ))
        })
    }

    /// Takes a call slot when fewer than `limit` calls run and appends wait.
    fn start_call(&self, limit: usize) -> bool {
        let mut queue = lock(&self.queue);
        let start = queue.calls < limit && !queue.waiting.is_empty();
        if start {
            queue.calls += 1;
        }
        start
    }

    /// A task of its own: the call goes on, and answers the appends it carries, even if
    /// the append that started it is cancelled.
    fn spawn_call(&self) {
        tokio::spawn(make_calls(
            CallSlot::new(self.queue.clone()),
            self.pool.clone(),
        ));
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(|e| e.into_inner())
}

impl Queue {
    /// The next call's appends: the oldest waiting one, and those after it that fit.
    fn take(&mut self) -> Vec<Request> {
        let (mut events, mut bytes) = (0, 0);
        let mut call = Vec::new();
        while let Some(next) = self.waiting.front() {
            let fits = events + next.events <= MAX_EVENTS && bytes + next.bytes <= MAX_BYTES;
            if !call.is_empty() && !fits {
                break;
            }
            events += next.events;
            bytes += next.bytes;
            call.extend(self.waiting.pop_front());
        }
        call
    }
}

/// One running call's place in `Queue::calls`, given back however its task ends (a
/// panic, or the runtime shutting down, must not leave the count too high for ever).
struct CallSlot {
    queue: Arc<Mutex<Queue>>,
    released: bool,
}

impl CallSlot {
    fn new(queue: Arc<Mutex<Queue>>) -> CallSlot {
        CallSlot {
            queue,
            released: false,
        }
    }

    /// The next call's appends; none (and the slot given back, under the same lock, so
    /// no append is left waiting without a call) when nothing waits.
    fn next(&mut self) -> Vec<Request> {
        let mut queue = lock(&self.queue);
        let call = queue.take();
        if call.is_empty() {
            queue.calls -= 1;
            self.released = true;
        }
        call
    }
}

impl Drop for CallSlot {
    fn drop(&mut self) {
        if !self.released {
            lock(&self.queue).calls -= 1;
        }
    }
}

/// Makes calls while appends wait.
async fn make_calls(mut slot: CallSlot, pool: PgPool) {
    loop {
        let call = slot.next();
        if call.is_empty() {
            return;
        }
        let answered = call.len();
        commit(&pool, call).await;
        // Let the writers just answered come back, to go in the next call together.
        for _ in 0..RETURN_TURNS {
            if lock(&slot.queue).waiting.len() >= answered {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}

/// Sends the appends in one call and answers each; see the module's notes for failures.
async fn commit(pool: &PgPool, mut call: Vec<Request>) {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return answer_all(call, &e.into()),
    };
    // Appends to answer alone, in this order, after the call.
    let mut alone: Vec<Request> = Vec::new();
    while call.len() > 1 {
        let segments: Vec<&AppendSegment> = call.iter().flat_map(|r| &r.segments).collect();
        match write::call_append(&mut conn, &segments).await {
            Ok((events, xid)) => {
                let mut events = events.into_iter();
                for request in call {
                    let own = events.by_ref().take(request.events).collect();
                    let _ = request.reply.send(Ok((own, xid)));
                }
                call = Vec::new();
            }
            Err(CallFailure::Refused(e)) => match write::conflicting_segment(&e) {
                Some(segment) => {
                    let owner = owner_of(&call, segment);
                    alone.push(call.remove(owner));
                }
                None => {
                    alone.splice(0..0, call.drain(..));
                }
            },
            Err(CallFailure::Other(e)) => {
                answer_all(call, &e);
                return answer_all(alone, &e);
            }
        }
    }
    for request in call.into_iter().chain(alone) {
        let result = write::append_new(&mut conn, &request.segments).await;
        let _ = request.reply.send(result);
    }
}

/// The append (index in `call`) that sent the call's `segment`-th segment.
fn owner_of(call: &[Request], segment: usize) -> usize {
    let mut first = 0;
    for (index, request) in call.iter().enumerate() {
        first += request.segments.len();
        if segment < first {
            return index;
        }
    }
    // The database named a segment the call did not have: answer the last one alone.
    call.len() - 1
}

/// Gives every append the same failure (one whose outcome is unknown, as for one append).
fn answer_all(requests: Vec<Request>, e: &StoreError) {
    for request in requests {
        let copy = match e {
            StoreError::Database(message) => StoreError::Database(message.clone()),
            other => StoreError::Database(other.to_string()),
        };
        let _ = request.reply.send(Err(copy));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::{ExpectedVersion, NewEvent};

    fn request(events: usize, bytes: usize) -> Request {
        let segment = AppendSegment::new(
            "S-1",
            ExpectedVersion::Any,
            (0..events)
                .map(|_| NewEvent::new("T", serde_json::json!({})))
                .collect(),
        );
        Request {
            segments: vec![segment.clone(), segment],
            events,
            bytes,
            reply: oneshot::channel().0,
        }
    }

    #[test]
    fn a_call_takes_what_fits_and_always_the_oldest() {
        let mut queue = Queue::default();
        queue.waiting.extend([
            request(MAX_EVENTS + 5, 10),
            request(600, 10),
            request(400, 10),
            request(1, 10),
        ]);
        assert_eq!(queue.take().len(), 1, "too big alone, still sent");
        let call = queue.take();
        assert_eq!(call.iter().map(|r| r.events).sum::<usize>(), 1000);
        assert_eq!(queue.take().len(), 1);
        assert!(queue.take().is_empty());

        queue.waiting.extend([request(1, MAX_BYTES), request(1, 1)]);
        assert_eq!(queue.take().len(), 1, "bytes count too");
    }

    #[test]
    fn a_segment_is_traced_to_its_append() {
        let call = [request(1, 1), request(1, 1), request(1, 1)];
        // Two segments each.
        assert_eq!(owner_of(&call, 0), 0);
        assert_eq!(owner_of(&call, 1), 0);
        assert_eq!(owner_of(&call, 2), 1);
        assert_eq!(owner_of(&call, 5), 2);
        assert_eq!(owner_of(&call, 9), 2);
    }
}
