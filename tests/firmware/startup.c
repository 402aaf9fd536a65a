/*
 * Start-up code for the MPS2-AN386 (Cortex-M4F) test firmware: the vector table, a reset
 * handler that copies .data, zeroes .bss and turns the FPU on before main(), and fault handlers
 * that report over semihosting and end qemu with a failure status instead of spinning until the
 * timeout. No libc.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _stack_top;
extern int main(void);

void Reset_Handler(void);
void Fault_Handler(void);
void Default_Handler(void);

__attribute__((noreturn)) void Reset_Handler(void)
{
    /* Word copies through volatile pointers: GCC must not turn these loops into memcpy/memset
     * calls (there is no libc, and .data is not set up yet). */
    volatile uint32_t *src = &_sidata;
    volatile uint32_t *dst = &_sdata;
    while (dst < &_edata) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss; ) {
        *dst++ = 0;
    }

    /* CPACR: full access to CP10 and CP11 (the FPU); then make sure it takes effect. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    int failed = main();
    sh_exit(failed == 0);
}

static void put_hex(char *p, uint32_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = "0123456789abcdef"[v & 0xF];
        v >>= 4;
    }
}

/* HardFault, MemManage, BusFault, UsageFault, NMI: print the exception number, the faulting PC
 * (from the frame the exception pushed on the main stack) and the fault status registers, then
 * exit with a failure status. */
void fault_report(const uint32_t *frame);
__attribute__((noreturn, used)) void fault_report(const uint32_t *frame)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    char msg[] = "FAULT: exception xxxxxxxx pc xxxxxxxx cfsr xxxxxxxx hfsr xxxxxxxx\n";
    put_hex(msg + 17, ipsr & 0x1FF);
    put_hex(msg + 29, frame[6]); /* stacked PC */
    put_hex(msg + 43, *(volatile uint32_t *)0xE000ED28u);
    put_hex(msg + 57, *(volatile uint32_t *)0xE000ED2Cu);
    sh_write0(msg);
    sh_exit(0);
}

/* Naked: hands fault_report the main stack pointer as it was at exception entry. */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile("mrs r0, msp\n\tb fault_report");
}

__attribute__((noreturn)) void Default_Handler(void)
{
    sh_write0("FAULT: unexpected interrupt\n");
    sh_exit(0);
}

typedef void (*handler)(void);

/* Armv7-M vector table: initial SP, then 15 system exceptions. No peripheral interrupt is
 * enabled, so the table stops there. */
__attribute__((section(".vectors"), used)) static const handler vectors[16] = {
    (handler)(uintptr_t)&_stack_top,
    Reset_Handler,
    Fault_Handler,   /* NMI */
    Fault_Handler,   /* HardFault */
    Fault_Handler,   /* MemManage */
    Fault_Handler,   /* BusFault */
    Fault_Handler,   /* UsageFault */
    0, 0, 0, 0,      /* reserved */
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMonitor */
    0,               /* reserved */
    Default_Handler, /* PendSV */
    Default_Handler, /* SysTick */
};
