/*
 * Test firmware for the C API of libglobalpool.a on a Cortex-M4F (MPS2-AN386 under
 * qemu-system-arm), built and run by tests/firmware/run.sh. No libc: output and exit go through
 * semihosting (semihost.h).
 *
 * 1. Data: every case of cases.h (generated on the host by tests/firmware/gen with the Rust API),
 *    with the input read from flash and from a RAM copy at another alignment, in both layouts,
 *    through all four pooling functions: the output bits must equal the host's, every NaN must be
 *    0x7FC00000, and nothing outside the output may be written.
 * 2. Errors: every gp_status the functions can return, the header's order of the checks, and
 *    that nothing is written on an error (nor on a GP_OK with nothing to do).
 * 3. gp_isa_name and gp_status_str.
 * 4. Stack: each call runs on a painted stack; the deepest word it overwrote gives its stack use
 *    (printed as "STACK <function> <bytes>" lines, which run.sh compares with its static bound).
 *
 * Prints one "FAIL: ..." line per failing check, then "N passed, M failed"; main returns the
 * number of failures and the reset handler turns it into qemu's exit status.
 */
#include <stddef.h>
#include <stdint.h>

#include "cases.h"
#include "globalpool.h"
#include "semihost.h"

_Static_assert(sizeof(gp_status) == 4, "gp_status must be int-sized");
_Static_assert(sizeof(size_t) == 4, "this firmware tests a 32-bit size_t");

/* ---------------------------------------------------------------- output (one line at a time) */

static char line[512];
static unsigned line_len;

static void out_str(const char *s)
{
    while (*s && line_len < sizeof line - 2) {
        line[line_len++] = *s++;
    }
}

static void out_u32(uint32_t v)
{
    char b[11];
    int i = 10;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_str(b + i);
}

static void out_hex(uint32_t v)
{
    char b[11] = "0x";
    for (int i = 9; i >= 2; i--) {
        b[i] = "0123456789abcdef"[v & 0xF];
        v >>= 4;
    }
    b[10] = 0;
    out_str(b);
}

static void out_end(void)
{
    line[line_len++] = '\n';
    line[line_len] = 0;
    sh_write0(line);
    line_len = 0;
}

/* ---------------------------------------------------------------- checks */

static uint32_t passed, failed;

/* Starts a failure line; the caller adds details and calls out_end(). */
static void fail_begin(const char *what)
{
    failed++;
    out_str("FAIL: ");
    out_str(what);
}

static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        fail_begin(what);
        out_end();
    }
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

static uint32_t str_len(const char *s, uint32_t max)
{
    uint32_t n = 0;
    while (n < max && s[n]) {
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- the functions under test */

typedef gp_status (*pool_fn)(const float *, size_t, size_t, size_t, size_t, uint32_t, float *,
                             size_t);

#define NUM_OPS 4
static const struct {
    const char *name;
    pool_fn fn;
} ops[NUM_OPS] = {
    {"gp_global_sum_pool_f32", gp_global_sum_pool_f32},
    {"gp_global_avg_pool_f32", gp_global_avg_pool_f32},
    {"gp_global_max_pool_f32", gp_global_max_pool_f32},
    {"gp_global_min_pool_f32", gp_global_min_pool_f32},
};
#define SLOT_ISA NUM_OPS
#define SLOT_STR (NUM_OPS + 1)
#define NUM_SLOTS (NUM_OPS + 2)
static const char *const slot_names[NUM_SLOTS] = {
    "gp_global_sum_pool_f32", "gp_global_avg_pool_f32", "gp_global_max_pool_f32",
    "gp_global_min_pool_f32", "gp_isa_name",            "gp_status_str",
};

/* ---------------------------------------------------------------- stack high-water marks
 *
 * Each wrapper reads its own SP, paints everything from the bottom of the stack region (link.ld)
 * up to that SP, makes the call, then finds the lowest word that no longer holds the pattern.
 * SP at the call is SP in the wrapper's body (GCC reserves the outgoing arguments in the
 * prologue), so the distance is the callee's stack use, not counting the 4 stack arguments that
 * the caller stores in its own frame (the same convention as the static analysis). A word the
 * callee wrote with the pattern value itself would hide, so this is a lower bound: a cross-check
 * of the static figure. The loops use volatile pointers and run in the wrapper's frame only. */

extern uint32_t _stack_bottom;
#define PAINT 0xC5A5F00Du
static uint32_t stack_max[NUM_SLOTS];
static int stack_exhausted;

#define STACK_PAINT(sp)                                                                       \
    do {                                                                                      \
        __asm__ volatile("mov %0, sp" : "=r"(sp));                                            \
        for (volatile uint32_t *p_ = &_stack_bottom; p_ < (volatile uint32_t *)(sp);) {       \
            *p_++ = PAINT;                                                                    \
        }                                                                                     \
    } while (0)

#define STACK_SCAN(sp, slot)                                                                  \
    do {                                                                                      \
        volatile uint32_t *p_ = &_stack_bottom;                                               \
        while (p_ < (volatile uint32_t *)(sp) && *p_ == PAINT) {                              \
            p_++;                                                                             \
        }                                                                                     \
        if (p_ == &_stack_bottom) {                                                           \
            stack_exhausted = 1;                                                              \
        }                                                                                     \
        uint32_t used_ = (sp) - (uint32_t)(uintptr_t)p_;                                      \
        if (used_ > stack_max[slot]) {                                                        \
            stack_max[slot] = used_;                                                          \
        }                                                                                     \
    } while (0)

__attribute__((noinline)) static gp_status call_pool(int op, const float *in, size_t in_len,
                                                     size_t batch, size_t channels,
                                                     size_t spatial, uint32_t layout,
                                                     float *out, size_t out_len)
{
    uint32_t sp;
    STACK_PAINT(sp);
    gp_status st = ops[op].fn(in, in_len, batch, channels, spatial, layout, out, out_len);
    STACK_SCAN(sp, op);
    return st;
}

__attribute__((noinline)) static const char *call_isa_name(void)
{
    uint32_t sp;
    STACK_PAINT(sp);
    const char *s = gp_isa_name();
    STACK_SCAN(sp, SLOT_ISA);
    return s;
}

__attribute__((noinline)) static const char *call_status_str(gp_status st)
{
    uint32_t sp;
    STACK_PAINT(sp);
    const char *s = gp_status_str(st);
    STACK_SCAN(sp, SLOT_STR);
    return s;
}

/* ---------------------------------------------------------------- buffers */

#define GUARD 8u            /* words checked on each side of an output */
#define SENTINEL 0xA5A5A5A5u /* the output buffer's contents before a call */

/* The RAM copy of an input, one float past an 8-byte boundary (the flash copy is 8-aligned). */
static uint32_t in_ram[GP_MAX_INPUT + 2] __attribute__((aligned(8)));
static uint32_t out_buf[GP_MAX_OUTPUT + 2 * GUARD] __attribute__((aligned(8)));

static float *out_ptr(void)
{
    return (float *)(void *)(out_buf + GUARD);
}

static void fill_out(void)
{
    for (uint32_t i = 0; i < sizeof out_buf / 4; i++) {
        out_buf[i] = SENTINEL;
    }
}

/* ---------------------------------------------------------------- 1. data cases */

static const char *const layout_names[2] = {"NCHW", "NHWC"};

static void run_case(const gp_case *c, int placement)
{
    uint32_t in_len = c->batch * c->channels * c->spatial;
    uint32_t out_len = c->batch * c->channels;
    const uint32_t *in_bits = gp_in_bits + c->input;
    if (placement == 1) {
        for (uint32_t i = 0; i < in_len; i++) {
            in_ram[1 + i] = in_bits[i];
        }
        in_bits = in_ram + 1;
    }
    const float *in = (const float *)(const void *)in_bits;

    for (uint32_t layout = 0; layout < 2; layout++) {
        for (int op = 0; op < NUM_OPS; op++) {
            const uint32_t *want = gp_out_bits + c->expected[layout][op];
            fill_out();
            gp_status st = call_pool(op, in, in_len, c->batch, c->channels, c->spatial, layout,
                                     out_ptr(), out_len);
            const char *problem = 0;
            uint32_t at = 0, got = 0, exp = 0;
            if (st != GP_OK) {
                problem = "status";
                got = (uint32_t)st;
            }
            for (uint32_t i = 0; !problem && i < out_len; i++) {
                got = out_buf[GUARD + i];
                if (got != want[i]) {
                    problem = "bits differ";
                    at = i;
                    exp = want[i];
                } else if ((got & 0x7F800000u) == 0x7F800000u && (got & 0x7FFFFFu) &&
                           got != 0x7FC00000u) {
                    problem = "non-canonical NaN";
                    at = i;
                }
            }
            for (uint32_t i = 0; !problem && i < GUARD; i++) {
                if (out_buf[i] != SENTINEL || out_buf[GUARD + out_len + i] != SENTINEL) {
                    problem = "wrote outside the output";
                }
            }
            if (problem) {
                fail_begin(ops[op].name);
                out_str(" ");
                out_str(c->name);
                out_str(" ");
                out_str(layout_names[layout]);
                out_str(placement ? " (RAM input)" : " (flash input)");
                out_str(": ");
                out_str(problem);
                out_str(" at ");
                out_u32(at);
                out_str(": got ");
                out_hex(got);
                out_str(", expected ");
                out_hex(exp);
                out_end();
            } else {
                passed++;
            }
        }
    }
}

/* ---------------------------------------------------------------- 2. errors */

/* The scratch area of the error tests: in_ram, filled with normal floats that encode their index. */
#define SCRATCH_WORDS (GP_MAX_INPUT + 2)

static void fill_scratch(void)
{
    for (uint32_t i = 0; i < SCRATCH_WORDS; i++) {
        in_ram[i] = 0x3F800000u + i; /* 1.0 + i ulp */
    }
}

static int scratch_untouched(void)
{
    for (uint32_t i = 0; i < SCRATCH_WORDS; i++) {
        if (in_ram[i] != 0x3F800000u + i) {
            return 0;
        }
    }
    return 1;
}

static int out_untouched(void)
{
    for (uint32_t i = 0; i < sizeof out_buf / 4; i++) {
        if (out_buf[i] != SENTINEL) {
            return 0;
        }
    }
    return 1;
}

static float *scratch(uint32_t word)
{
    return (float *)(void *)(in_ram + word);
}

static float *misalign(float *p, uint32_t bytes)
{
    return (float *)(void *)((char *)p + bytes);
}

/* A call that must return `want` and, since it does nothing, write nothing anywhere. */
static void expect(int op, const char *what, const float *in, size_t in_len, size_t batch,
                   size_t channels, size_t spatial, uint32_t layout, float *out, size_t out_len,
                   gp_status want)
{
    fill_scratch();
    fill_out();
    gp_status st = call_pool(op, in, in_len, batch, channels, spatial, layout, out, out_len);
    int untouched = scratch_untouched() && out_untouched();
    if (st == want && untouched) {
        passed++;
        return;
    }
    fail_begin(ops[op].name);
    out_str(" ");
    out_str(what);
    if (st != want) {
        out_str(": got status ");
        out_u32((uint32_t)st);
        out_str(" (");
        out_str(gp_status_str(st));
        out_str("), expected ");
        out_u32((uint32_t)want);
    }
    if (!untouched) {
        out_str(": memory was written");
    }
    out_end();
}

/* Input and output side by side in the scratch area, touching but not overlapping: GP_OK, and
 * the same bits as with separate buffers. */
static void expect_adjacent(int op, const char *what, uint32_t in_word, uint32_t out_word)
{
    const size_t b = 2, c = 3, s = 4, n = b * c * s, m = b * c;
    fill_scratch();
    fill_out();
    gp_status st1 = call_pool(op, scratch(in_word), n, b, c, s, GP_NCHW, out_ptr(), m);
    fill_scratch();
    gp_status st2 = call_pool(op, scratch(in_word), n, b, c, s, GP_NCHW, scratch(out_word), m);
    int ok = st1 == GP_OK && st2 == GP_OK;
    for (uint32_t i = 0; ok && i < SCRATCH_WORDS; i++) {
        int in_out = i >= out_word && i < out_word + m;
        uint32_t want = in_out ? out_buf[GUARD + i - out_word] : 0x3F800000u + i;
        ok = in_ram[i] == want;
    }
    check(ok, what);
    if (!ok) {
        out_str("  (");
        out_str(ops[op].name);
        out_str(")");
        out_end();
    }
}

static void run_errors(int op)
{
    /* A valid call: 2 images, 3 channels, 4 positions: 24 inputs, 6 outputs. */
    const size_t b = 2, c = 3, s = 4, n = b * c * s, m = b * c;
    float *in = scratch(0);
    float *out = out_ptr();

    /* GP_ERR_NULL */
    expect(op, "NULL input with input_len 24", 0, n, b, c, s, GP_NCHW, out, m, GP_ERR_NULL);
    expect(op, "NULL output with output_len 6", in, n, b, c, s, GP_NHWC, 0, m, GP_ERR_NULL);
    expect(op, "NULL input and output", 0, n, b, c, s, GP_NCHW, 0, m, GP_ERR_NULL);
    expect(op, "NULL input before bad layout", 0, n, b, c, s, 7, out, m, GP_ERR_NULL);
    expect(op, "NULL output before shape overflow", in, n, 0x10000, 0x10000, 1, GP_NCHW, 0, m,
           GP_ERR_NULL);
    /* NULL with length 0 is fine */
    expect(op, "NULL pointers, zero lengths, batch 0", 0, 0, 0, c, s, GP_NCHW, 0, 0, GP_OK);
    expect(op, "NULL pointers, zero lengths, channels 0", 0, 0, b, 0, s, GP_NHWC, 0, 0, GP_OK);
    expect(op, "NULL pointers, zero lengths, batch 0, spatial 0", 0, 0, 0, c, 0, GP_NCHW, 0, 0,
           GP_OK);
    expect(op, "NULL input with zero length, spatial 0", 0, 0, b, c, 0, GP_NCHW, out, m,
           GP_ERR_EMPTY_SPATIAL);
    /* batch 0 / channels 0: GP_OK, nothing written */
    expect(op, "batch 0 with real buffers", in, 0, 0, c, s, GP_NCHW, out, 0, GP_OK);
    expect(op, "channels 0 with real buffers", in, 0, b, 0, s, GP_NHWC, out, 0, GP_OK);
    expect(op, "batch 0 with misaligned buffers", misalign(in, 1), 0, 0, c, s, GP_NCHW,
           misalign(out, 2), 0, GP_OK);
    /* GP_ERR_LAYOUT */
    expect(op, "layout 2", in, n, b, c, s, 2, out, m, GP_ERR_LAYOUT);
    expect(op, "layout 0xFFFFFFFF", in, n, b, c, s, 0xFFFFFFFFu, out, m, GP_ERR_LAYOUT);
    expect(op, "bad layout before shape overflow", in, n, 0x10000, 0x10000, 1, 3, out, m,
           GP_ERR_LAYOUT);
    expect(op, "bad layout before input length", in, n + 1, b, c, s, 2, out, m, GP_ERR_LAYOUT);
    expect(op, "bad layout with batch 0", 0, 0, 0, c, s, 2, 0, 0, GP_ERR_LAYOUT);
    /* GP_ERR_SHAPE_OVERFLOW (32-bit size_t) */
    expect(op, "batch * channels overflows (0x10000 * 0x10000)", in, n, 0x10000, 0x10000, 1,
           GP_NCHW, out, m, GP_ERR_SHAPE_OVERFLOW);
    expect(op, "batch * channels overflows with spatial 0", in, 0, 0x10000, 0x10000, 0, GP_NHWC,
           out, m, GP_ERR_SHAPE_OVERFLOW);
    expect(op, "batch * channels * spatial overflows (0x10000 * 0x8000 * 2)", in, n, 0x10000,
           0x8000, 2, GP_NHWC, out, m, GP_ERR_SHAPE_OVERFLOW);
    expect(op, "input size in bytes overflows (spatial 0x20000000)", in, 0x20000000, 1, 1,
           0x20000000, GP_NCHW, out, 1, GP_ERR_SHAPE_OVERFLOW);
    expect(op, "output size in bytes overflows (channels 0x20000000)", in, 0x20000000, 1,
           0x20000000, 1, GP_NHWC, out, 0x20000000, GP_ERR_SHAPE_OVERFLOW);
    expect(op, "shape overflow before input length", in, 5, 0xFFFFFFFFu, 2, 1, GP_NCHW, out, m,
           GP_ERR_SHAPE_OVERFLOW);
    /* GP_ERR_INPUT_LENGTH */
    expect(op, "input_len + 1", in, n + 1, b, c, s, GP_NCHW, out, m, GP_ERR_INPUT_LENGTH);
    expect(op, "input_len - 1", in, n - 1, b, c, s, GP_NHWC, out, m, GP_ERR_INPUT_LENGTH);
    expect(op, "input_len 0", in, 0, b, c, s, GP_NCHW, out, m, GP_ERR_INPUT_LENGTH);
    expect(op, "input_len before output_len", in, n + 4, b, c, s, GP_NCHW, out, m + 1,
           GP_ERR_INPUT_LENGTH);
    expect(op, "input_len before alignment", misalign(in, 2), n - 1, b, c, s, GP_NCHW, out, m,
           GP_ERR_INPUT_LENGTH);
    /* GP_ERR_OUTPUT_LENGTH */
    expect(op, "output_len + 1", in, n, b, c, s, GP_NCHW, out, m + 1, GP_ERR_OUTPUT_LENGTH);
    expect(op, "output_len - 1", in, n, b, c, s, GP_NHWC, out, m - 1, GP_ERR_OUTPUT_LENGTH);
    expect(op, "output_len 0", in, n, b, c, s, GP_NCHW, out, 0, GP_ERR_OUTPUT_LENGTH);
    expect(op, "output_len before alignment", in, n, b, c, s, GP_NCHW, misalign(out, 1), m + 1,
           GP_ERR_OUTPUT_LENGTH);
    /* GP_ERR_ALIGNMENT */
    expect(op, "input misaligned by 1", misalign(in, 1), n, b, c, s, GP_NCHW, out, m,
           GP_ERR_ALIGNMENT);
    expect(op, "input misaligned by 2", misalign(in, 2), n, b, c, s, GP_NHWC, out, m,
           GP_ERR_ALIGNMENT);
    expect(op, "output misaligned by 3", in, n, b, c, s, GP_NCHW, misalign(out, 3), m,
           GP_ERR_ALIGNMENT);
    expect(op, "alignment before overlap", in, n, b, c, s, GP_NCHW, misalign(scratch(4), 2), m,
           GP_ERR_ALIGNMENT);
    expect(op, "alignment before empty spatial", misalign(in, 2), 0, b, c, 0, GP_NCHW,
           misalign(out, 2), m, GP_ERR_ALIGNMENT);
    /* GP_ERR_OVERLAP */
    expect(op, "output == input", in, n, b, c, s, GP_NCHW, scratch(0), m, GP_ERR_OVERLAP);
    expect(op, "output inside the input", in, n, b, c, s, GP_NHWC, scratch(10), m,
           GP_ERR_OVERLAP);
    expect(op, "output overlaps the input's last element", in, n, b, c, s, GP_NCHW,
           scratch(n - 1), m, GP_ERR_OVERLAP);
    expect(op, "output overlaps the input's first element", scratch(m - 1), n, b, c, s, GP_NCHW,
           scratch(0), m, GP_ERR_OVERLAP);
    expect(op, "input inside the output's span", scratch(2), n, b, c, s, GP_NHWC, scratch(0), m,
           GP_ERR_OVERLAP);
    expect_adjacent(op, "output right after the input: GP_OK, same bits", 0, (uint32_t)n);
    expect_adjacent(op, "output right before the input: GP_OK, same bits", (uint32_t)m, 0);
    /* GP_ERR_EMPTY_SPATIAL */
    expect(op, "spatial 0", in, 0, b, c, 0, GP_NCHW, out, m, GP_ERR_EMPTY_SPATIAL);
    expect(op, "spatial 0, NHWC", in, 0, 1, 1, 0, GP_NHWC, out, 1, GP_ERR_EMPTY_SPATIAL);
}

/* ---------------------------------------------------------------- 3. strings */

static void run_strings(void)
{
    const char *isa = call_isa_name();
    check(isa != 0, "gp_isa_name returned NULL");
    if (isa) {
        out_str("gp_isa_name(): ");
        out_str(isa);
        out_end();
        check(str_eq(isa, "scalar") || str_eq(isa, "portable"),
              "gp_isa_name is neither \"scalar\" nor \"portable\" on a Cortex-M4F");
        check(str_eq(isa, call_isa_name()), "gp_isa_name changed between calls");
    }

    const char *msgs[GP_ERR_ALIGNMENT + 1];
    for (int s = GP_OK; s <= GP_ERR_ALIGNMENT; s++) {
        const char *m = call_status_str((gp_status)s);
        msgs[s] = m;
        int ok = m != 0 && str_len(m, 200) > 0 && str_len(m, 200) < 200;
        check(ok, "gp_status_str of a known status is NULL, empty or unterminated");
        if (ok) {
            out_str("gp_status_str(");
            out_u32((uint32_t)s);
            out_str("): ");
            out_str(m);
            out_end();
        }
    }
    for (int i = GP_OK; i <= GP_ERR_ALIGNMENT; i++) {
        for (int j = i + 1; j <= GP_ERR_ALIGNMENT; j++) {
            check(msgs[i] && msgs[j] && !str_eq(msgs[i], msgs[j]),
                  "gp_status_str gives two statuses the same message");
        }
    }
    static const int32_t unknown[] = {9, 10, 100, -1, -2147483647 - 1, 0x7FFFFFFF};
    for (uint32_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++) {
        const char *m = call_status_str((gp_status)unknown[k]);
        int ok = m != 0 && str_len(m, 200) > 0 && str_len(m, 200) < 200;
        for (int s = GP_OK; ok && s <= GP_ERR_ALIGNMENT; s++) {
            ok = msgs[s] && !str_eq(m, msgs[s]);
        }
        check(ok, "gp_status_str of an unknown status is NULL, empty or a known message");
    }
}

/* ---------------------------------------------------------------- main */

int main(void)
{
    sh_write0("globalpool C API on Cortex-M4F (MPS2-AN386): expected bits from the host's " GP_HOST_ISA
              " path\n");

    run_strings();
    for (uint32_t i = 0; i < GP_NUM_CASES; i++) {
        run_case(&gp_cases[i], 0);
        run_case(&gp_cases[i], 1);
    }
    for (int op = 0; op < NUM_OPS; op++) {
        run_errors(op);
    }
    check(!stack_exhausted, "a call used the whole 16 KiB stack region");

    for (int i = 0; i < NUM_SLOTS; i++) {
        out_str("STACK ");
        out_str(slot_names[i]);
        out_str(" ");
        out_u32(stack_max[i]);
        out_end();
    }
    out_u32(passed);
    out_str(" passed, ");
    out_u32(failed);
    out_str(" failed");
    out_end();
    return failed != 0;
}
