//! Where a session's tasks run.
use std::future::Future;
use std::sync::Arc;

/// An executor to spawn on.
#[derive(Clone, Debug, Default)]
pub enum Spawner {
    /// smol's global executor (`smol::spawn`).
    #[default]
    Global,
    /// A shared executor the application runs.
    Executor(Arc<smol::Executor<'static>>),
}

impl Spawner {
    /// Spawns `future`; dropping the task cancels it.
    pub fn spawn<T: Send + 'static>(
        &self,
        future: impl Future<Output = T> + Send + 'static,
    ) -> smol::Task<T> {
        match self {
            Spawner::Global => smol::spawn(future),
            Spawner::Executor(ex) => ex.spawn(future),
        }
    }
}
