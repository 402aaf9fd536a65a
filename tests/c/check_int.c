/*
 * Checks the integer functions of the C interface (tests/c_api.rs builds and runs this): every
 * function against plain C loops written from TFLite's formulas (sum, AVERAGE_POOL_2D, max,
 * min, the clamp), the worked tie case of MEAN, and the status codes the integer functions add.
 * Prints "int_cases=<n>" and exits non-zero on failure.
 */
#include "globalpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void fail(const char *what, long got, long want) {
    fprintf(stderr, "FAIL %s: got %ld, expected %ld\n", what, got, want);
    failures++;
}

static uint64_t rng_state = 0x1234567u;
static uint32_t next_u32(void) {
    rng_state = rng_state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(rng_state >> 33);
}

/* TFLite AVERAGE_POOL_2D rounding of an exact sum. */
static long avg_ref(long acc, long n) { return acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n; }

/* One element type: T, its C name suffix, its range. */
#define CHECK_TYPE(T, SUF, LO, HI)                                                               \
    static void check_##SUF(size_t batch, size_t channels, size_t spatial, uint32_t layout) {   \
        size_t n_in = batch * channels * spatial, n_out = batch * channels, b, c, s;            \
        T *in = malloc(n_in * sizeof(T) + 1), *o = malloc(n_out * sizeof(T) + 1);               \
        int32_t *sums = malloc(n_out * sizeof(int32_t) + 1);                                    \
        T *mx = malloc(n_out * sizeof(T) + 1), *mn = malloc(n_out * sizeof(T) + 1);             \
        T *cl = malloc(n_out * sizeof(T) + 1);                                                   \
        T lo = (T)(LO + 3), hi = (T)(HI - 5);                                                    \
        size_t i;                                                                               \
        for (i = 0; i < n_in; i++) in[i] = (T)((long)LO + (long)(next_u32() % (HI - LO + 1)));  \
        if (gp_global_sum_pool_##SUF(in, n_in, batch, channels, spatial, layout, sums, n_out) ||  \
            gp_global_avg_pool_##SUF(in, n_in, batch, channels, spatial, layout, o, n_out) ||     \
            gp_global_max_pool_##SUF(in, n_in, batch, channels, spatial, layout, mx, n_out) ||    \
            gp_global_min_pool_##SUF(in, n_in, batch, channels, spatial, layout, mn, n_out) ||    \
            gp_global_avg_pool_clamped_##SUF(in, n_in, batch, channels, spatial, layout, lo, hi, \
                                             cl, n_out)) {                                      \
            fail(#SUF " call status", 1, 0);                                                    \
        }                                                                                       \
        for (b = 0; b < batch; b++) {                                                           \
            for (c = 0; c < channels; c++) {                                                    \
                long acc = 0, vmax = LO, vmin = HI, a;                                           \
                size_t k = b * channels + c;                                                    \
                for (s = 0; s < spatial; s++) {                                                 \
                    long v = layout == GP_NCHW ? in[(b * channels + c) * spatial + s]           \
                                               : in[(b * spatial + s) * channels + c];          \
                    acc += v;                                                                   \
                    if (v > vmax) vmax = v;                                                     \
                    if (v < vmin) vmin = v;                                                     \
                }                                                                               \
                a = avg_ref(acc, (long)spatial);                                                \
                if (sums[k] != acc) fail(#SUF " sum", sums[k], acc);                            \
                if (o[k] != a) fail(#SUF " avg", o[k], a);                                      \
                if (mx[k] != vmax) fail(#SUF " max", mx[k], vmax);                              \
                if (mn[k] != vmin) fail(#SUF " min", mn[k], vmin);                              \
                a = a < lo ? lo : a > hi ? hi : a;                                              \
                if (cl[k] != a) fail(#SUF " avg_clamped", cl[k], a);                            \
            }                                                                                   \
        }                                                                                       \
        free(in);                                                                               \
        free(o);                                                                                \
        free(sums);                                                                             \
        free(mx);                                                                               \
        free(mn);                                                                               \
        free(cl);                                                                               \
    }

CHECK_TYPE(int8_t, i8, -128, 127)
CHECK_TYPE(uint8_t, u8, 0, 255)
CHECK_TYPE(int16_t, i16, -32768, 32767)

static void expect(const char *what, gp_status got, gp_status want) {
    if (got != want) fail(what, (long)got, (long)want);
}

static void check_statuses(void) {
    int8_t in8[4] = {-128, -127, 5, 6}, out8[2] = {99, 99};
    int16_t in16[4] = {1, 2, 3, 4}, out16[2] = {99, 99};
    uint8_t inu[4] = {1, 2, 3, 4}, outu[2] = {99, 99};
    int32_t sums[2];
    int16_t *big;
    /* The worked tie case: AVERAGE_POOL_2D -128, MEAN -127. */
    expect("avg i8 tie", gp_global_avg_pool_i8(in8, 2, 1, 1, 2, GP_NHWC, out8, 1), GP_OK);
    if (out8[0] != -128) fail("avg i8 tie value", out8[0], -128);
    expect("mean i8 tie",
           gp_global_mean_quantized_i8(in8, 2, 1, 1, 2, GP_NHWC, 0.5f, -128, 0.5f, -128,
                                       GP_ROUNDING_DOUBLE, out8, 1),
           GP_OK);
    if (out8[0] != -127) fail("mean i8 tie value", out8[0], -127);
    out8[0] = 99;
    expect("mean i8 bad scale",
           gp_global_mean_quantized_i8(in8, 4, 1, 2, 2, GP_NCHW, 0.0f, 0, 1.0f, 0,
                                       GP_ROUNDING_DOUBLE, out8, 2),
           GP_ERR_QUANTIZATION);
    expect("mean i8 zero point out of range",
           gp_global_mean_quantized_i8(in8, 4, 1, 2, 2, GP_NCHW, 1.0f, 128, 1.0f, 0,
                                       GP_ROUNDING_SINGLE, out8, 2),
           GP_ERR_QUANTIZATION);
    expect("mean i8 rounding 2",
           gp_global_mean_quantized_i8(in8, 4, 1, 2, 2, GP_NCHW, 1.0f, 0, 1.0f, 0, 2u, out8, 2),
           GP_ERR_QUANTIZATION);
    expect("mean u8 negative zero point",
           gp_global_mean_quantized_u8(inu, 4, 1, 2, 2, GP_NCHW, 1.0f, -1, 1.0f, 0,
                                       GP_ROUNDING_DOUBLE, outu, 2),
           GP_ERR_QUANTIZATION);
    expect("mean i16 ok",
           gp_global_mean_quantized_i16(in16, 4, 1, 2, 2, GP_NHWC, 1.0f, 0, 0.5f, 3,
                                        GP_ROUNDING_DOUBLE, out16, 2),
           GP_OK);
    /* NHWC channels {1, 3} and {2, 4}: means 2 and 3, doubled by the scales, plus 3. */
    if (out16[0] != 7 || out16[1] != 9) fail("mean i16 values", out16[0] * 100 + out16[1], 709);
    expect("clamp out of order",
           gp_global_avg_pool_clamped_i8(in8, 4, 1, 2, 2, GP_NCHW, 5, 4, out8, 2), GP_ERR_CLAMP);
    expect("i16 misaligned",
           gp_global_avg_pool_i16((const int16_t *)((const char *)in16 + 1), 4, 1, 2, 2, GP_NCHW,
                                  out16, 2),
           GP_ERR_ALIGNMENT);
    expect("i8 layout", gp_global_max_pool_i8(in8, 4, 1, 2, 2, 7u, out8, 2), GP_ERR_LAYOUT);
    expect("u8 NULL", gp_global_sum_pool_u8(NULL, 4, 1, 2, 2, GP_NCHW, sums, 2), GP_ERR_NULL);
    expect("i8 overlap",
           gp_global_avg_pool_i8(in8, 4, 1, 2, 2, GP_NCHW, in8 + 1, 2), GP_ERR_OVERLAP);
    if (out8[0] != 99 || out8[1] != 99) fail("an erroring call wrote", out8[0], 99);
    /* int16 sums over more than 2^16 positions could overflow int32_t: refused. max is fine. */
    big = calloc(65537, sizeof(int16_t));
    if (!big) exit(2);
    expect("i16 spatial 65537 sum",
           gp_global_sum_pool_i16(big, 65537, 1, 1, 65537, GP_NCHW, sums, 1),
           GP_ERR_SPATIAL_TOO_LARGE);
    expect("i16 spatial 65537 max", gp_global_max_pool_i16(big, 65537, 1, 1, 65537, GP_NCHW, out16, 1),
           GP_OK);
    free(big);
    if (strlen(gp_status_str(GP_ERR_SPATIAL_TOO_LARGE)) == 0 ||
        strlen(gp_status_str(GP_ERR_CLAMP)) == 0 || strlen(gp_status_str(GP_ERR_QUANTIZATION)) == 0) {
        fail("gp_status_str of the new codes", 0, 1);
    }
}

int main(void) {
    static const size_t shapes[][3] = {{1, 1, 1},   {2, 3, 4},    {1, 1280, 49}, {1, 8, 196},
                                       {3, 5, 37},  {1, 3, 3136}, {2, 64, 257},  {1, 17, 1},
                                       {4, 2, 300}, {1, 100, 65}};
    size_t i, n = 0;
    uint32_t layout;
    check_statuses();
    for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        for (layout = 0; layout < 2; layout++) {
            check_i8(shapes[i][0], shapes[i][1], shapes[i][2], layout);
            check_u8(shapes[i][0], shapes[i][1], shapes[i][2], layout);
            check_i16(shapes[i][0], shapes[i][1], shapes[i][2], layout);
            n += 3;
        }
    }
    printf("int_cases=%u\nfailures=%d\n", (unsigned)n, failures);
    return failures ? 1 : 0;
}
