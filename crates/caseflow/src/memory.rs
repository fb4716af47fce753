//! Giving freed memory back to the operating system.
//!
//! glibc's allocator keeps what a thread frees in that thread's arena for the thread's later
//! use, up to one arena per thread and eight per core. A settle allocates and frees hundreds
//! of megabytes on the deriving threads and the store's, so without a release the process's
//! resident memory is the sum of every arena's peak, for as long as it runs: at 150
//! authorities about three times the memory live at the worst moment. `malloc_trim` returns
//! the free pages of every arena.

/// Returns the allocator's free pages to the operating system (glibc's `malloc_trim`); does
/// nothing with other C libraries, whose allocators return freed memory themselves.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release() {
    // SAFETY: malloc_trim takes no pointer and requires nothing of its caller; glibc locks
    // each arena while it trims it, so allocating threads only wait.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release() {}
