//! How the projector's deriving threads are scheduled against the query service's.
//!
//! Linux keeps a nice value per thread, and a thread's new threads start with its value. The
//! projector calls [`lower`] first on each thread it derives subjects on; those threads end
//! with the settle, so no thread that answers queries is ever lowered.

/// Lowers the calling thread's scheduling priority by `steps` nice steps (at most to 19).
/// Failures leave it as it was: the priority is a preference, not a condition of correctness.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn lower(steps: i32) {
    // SAFETY: gettid, getpriority and setpriority take no pointers; on Linux they read and set
    // the nice value of the one thread named, here the caller. getpriority's -1 is ambiguous
    // (a nice value, or an error): either way the thread is set relative to it, or not at all.
    unsafe {
        let thread = libc::gettid() as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, thread);
        let nice = now.saturating_add(steps).clamp(-20, 19);
        libc::setpriority(libc::PRIO_PROCESS, thread, nice);
    }
}

#[cfg(not(target_os = "linux"))]
pub fn lower(_steps: i32) {}

#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::unwrap_used)]
mod tests {
    /// A thread lowered by some steps runs that many steps below the thread that started it,
    /// which keeps its own priority.
    #[test]
    #[allow(unsafe_code)]
    fn a_lowered_thread_runs_below_its_parent_and_the_parent_is_untouched() {
        // SAFETY: as in `lower`; reads only.
        let nice =
            || unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) };
        let parent = nice();
        let child = std::thread::spawn(move || {
            super::lower(5);
            nice()
        })
        .join()
        .unwrap();
        assert_eq!(child, (parent + 5).min(19));
        assert_eq!(nice(), parent);
    }
}
