//! A session's event queue: at most [`EVENT_BUFFER`](super::EVENT_BUFFER) events wait for the
//! application, and a waiting event costs memory only while it waits. A bounded channel
//! would allocate all its slots up front in every session (an `Event` is 216 bytes: 221 KB
//! per session for 1,024); here the events travel boxed through an unbounded channel (its
//! block of 31 slots is 0.5 KB) and a semaphore with one permit per free place bounds them.
use std::sync::Arc;

use smol::channel::{self, Receiver, Sender};
use smol::lock::Semaphore;
use webqq_proto::webqq::session::Event;

/// The driver's end.
pub(crate) struct EventSender {
    events: Sender<Box<Event>>,
    space: Arc<Semaphore>,
}

/// The handle's end.
pub(crate) struct EventReceiver {
    events: Receiver<Box<Event>>,
    space: Arc<Semaphore>,
}

/// A queue holding at most `capacity` events.
pub(crate) fn event_queue(capacity: usize) -> (EventSender, EventReceiver) {
    let (tx, rx) = channel::unbounded();
    let space = Arc::new(Semaphore::new(capacity));
    (
        EventSender {
            events: tx,
            space: Arc::clone(&space),
        },
        EventReceiver { events: rx, space },
    )
}

impl EventSender {
    /// Queues `e`, waiting while the queue is full; `Err` once the receiver is gone.
    pub(crate) async fn send(&self, e: Event) -> Result<(), ()> {
        if self.events.is_closed() {
            return Err(());
        }
        self.space.acquire().await.forget();
        self.events.try_send(Box::new(e)).map_err(|_| ())
    }
}

impl EventReceiver {
    /// The next event; `None` once the sender is gone and the queue is empty.
    pub(crate) async fn recv(&self) -> Option<Event> {
        let e = self.events.recv().await.ok()?;
        self.space.add_permits(1);
        Some(*e)
    }

    /// The next event if one is queued.
    pub(crate) fn try_recv(&self) -> Option<Event> {
        let e = self.events.try_recv().ok()?;
        self.space.add_permits(1);
        Some(*e)
    }

    /// Events queued.
    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_its_capacity_and_keeps_the_order() {
        smol::block_on(async {
            let (tx, rx) = event_queue(2);
            tx.send(Event::QrScanned).await.unwrap();
            tx.send(Event::QrConfirmed).await.unwrap();
            // Full: a third send waits until one is taken.
            let third = tx.send(Event::ContactsLoaded);
            let waited = smol::future::or(async { third.await.map(|()| true) }, async {
                smol::Timer::after(std::time::Duration::from_millis(50)).await;
                Ok(false)
            })
            .await;
            assert_eq!(waited, Ok(false), "the third waited");
            assert_eq!(rx.len(), 2);
            assert_eq!(rx.recv().await, Some(Event::QrScanned));
            tx.send(Event::ContactsLoaded).await.unwrap();
            assert_eq!(rx.try_recv(), Some(Event::QrConfirmed));
            assert_eq!(rx.recv().await, Some(Event::ContactsLoaded));
            assert_eq!(rx.try_recv(), None);
            drop(rx);
            assert!(tx.send(Event::QrScanned).await.is_err());
        });
    }
}
