//! `memcpy`, `memmove`, `memset`, `memcmp` and `bcmp` for the bare-metal image.
//!
//! On `x86_64-unknown-linux-gnu` these come from the C library, which the guest does not have.
//! They are written with the string instructions (`rep movsb`, `rep stosb`) in inline assembly,
//! so the compiler cannot turn their bodies back into calls to themselves. Speed hardly matters:
//! the crate only copies small arrays.

use core::arch::asm;

/// # Safety
/// `dst` and `src` are valid for `n` bytes and do not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract; `rep movsb` copies `rcx` bytes forwards (DF is clear, as
    // the ABI requires).
    unsafe {
        asm!("rep movsb", inout("rdi") dst => _, inout("rsi") src => _, inout("rcx") n => _,
             options(nostack, preserves_flags));
    }
    dst
}

/// # Safety
/// `dst` and `src` are valid for `n` bytes; they may overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // `dst` is below `src` or past its end: a forward copy never overwrites unread bytes.
        // SAFETY: as for `memcpy`.
        unsafe { memcpy(dst, src, n) }
    } else {
        // `dst` overlaps the end of `src`: copy backwards, from the last byte (DF set, then
        // cleared again as the ABI requires).
        // SAFETY: the caller's contract; the pointers start at the last byte of each range.
        unsafe {
            asm!("std", "rep movsb", "cld",
                 inout("rdi") dst.wrapping_add(n.wrapping_sub(1)) => _,
                 inout("rsi") src.wrapping_add(n.wrapping_sub(1)) => _,
                 inout("rcx") n => _, options(nostack));
        }
        dst
    }
}

/// # Safety
/// `dst` is valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract; `rep stosb` stores `al` to `rcx` bytes forwards.
    unsafe {
        asm!("rep stosb", inout("rdi") dst => _, inout("rcx") n => _, in("al") c as u8,
             options(nostack, preserves_flags));
    }
    dst
}

/// # Safety
/// `a` and `b` are valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // Volatile reads keep this loop from being recognised as a `memcmp` call.
        // SAFETY: `i < n`, within both ranges.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// # Safety
/// `a` and `b` are valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the same contract.
    unsafe { memcmp(a, b, n) }
}
