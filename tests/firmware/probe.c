/*
 * Size / stack probe: the smallest program that contains the whole C API. It defines only a
 * two-entry vector table and a reset handler that spins; the six gp_* functions are forced in
 * with -Wl,-u,<name> on the link line, so everything else in the linked image comes from
 * libglobalpool.a (the crate and the compiler_builtins it pulls in) or libgcc.
 * Never run: it is only linked (thumbv7em-none-eabihf and thumbv6m-none-eabi) and measured.
 */
extern unsigned int _stack_top;

void Reset_Handler(void);
void Reset_Handler(void)
{
    for (;;) {
    }
}

__attribute__((section(".vectors"), used)) static const void *const vectors[2] = {
    &_stack_top,
    (const void *)Reset_Handler,
};
