/*
 * Arm semihosting through `bkpt 0xAB` (M-profile): qemu-system-arm with
 * -semihosting-config enable=on,target=native prints SYS_WRITE0 strings on its stdout and turns
 * SYS_EXIT into its own exit status: 0 for ADP_Stopped_ApplicationExit, 1 for any other reason.
 */
#ifndef GP_SEMIHOST_H
#define GP_SEMIHOST_H

#include <stdint.h>

#define SH_SYS_WRITE0 0x04u
#define SH_SYS_EXIT 0x18u
#define SH_ADP_STOPPED_APPLICATION_EXIT 0x20026u /* qemu exits 0 */
#define SH_ADP_STOPPED_RUNTIME_ERROR 0x20023u    /* qemu exits 1 */

static inline uint32_t sh_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static inline void sh_write0(const char *s)
{
    sh_call(SH_SYS_WRITE0, s);
}

/* On 32-bit Arm, SYS_EXIT takes the reason code itself in r1 (not a pointer to a block). */
__attribute__((noreturn)) static inline void sh_exit(int success)
{
    sh_call(SH_SYS_EXIT, (const void *)(uintptr_t)(success ? SH_ADP_STOPPED_APPLICATION_EXIT
                                                           : SH_ADP_STOPPED_RUNTIME_ERROR));
    for (;;) {
    }
}

#endif /* GP_SEMIHOST_H */
