/*
 * Checks the C interface against its header (tests/c_api.rs builds and runs this).
 *
 *   check CASES OUT   reads pooling cases from CASES, writes every op's output to OUT, checks
 *                     every status code, prints "isa=<gp_isa_name()>", exits non-zero on failure.
 *
 * CASES: little-endian records { u64 batch, channels, spatial; u32 layout; f32 input[...] },
 * OUT: for each case, the outputs of sum, avg, max and min (batch * channels floats each).
 */
#include "globalpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef gp_status (*pool_fn)(const float *, size_t, size_t, size_t, size_t, uint32_t, float *,
                             size_t);

static const pool_fn OPS[4] = {gp_global_sum_pool_f32, gp_global_avg_pool_f32,
                               gp_global_max_pool_f32, gp_global_min_pool_f32};
static const char *const OP_NAMES[4] = {"sum", "avg", "max", "min"};

static int failures = 0;

static void expect(int op, const char *what, gp_status got, gp_status want) {
    if (got != want) {
        fprintf(stderr, "FAIL %s: %s gave %d (%s), expected %d (%s)\n", OP_NAMES[op], what,
                (int)got, gp_status_str(got), (int)want, gp_status_str(want));
        failures++;
    }
}

/* Every status code, for every function; the output must stay untouched on error. */
static void check_statuses(void) {
    float in[64];
    float out[8];
    int op;
    size_t i;
    for (i = 0; i < 64; i++) in[i] = (float)i;
    for (op = 0; op < 4; op++) {
        pool_fn f = OPS[op];
        for (i = 0; i < 8; i++) out[i] = -1.0f;
        expect(op, "valid 2x3x4", f(in, 24, 2, 3, 4, GP_NCHW, out, 6), GP_OK);
        expect(op, "valid NHWC", f(in, 24, 2, 3, 4, GP_NHWC, out, 6), GP_OK);
        for (i = 0; i < 8; i++) out[i] = -1.0f;
        expect(op, "NULL input", f(NULL, 24, 2, 3, 4, GP_NCHW, out, 6), GP_ERR_NULL);
        expect(op, "NULL output", f(in, 24, 2, 3, 4, GP_NCHW, NULL, 6), GP_ERR_NULL);
        expect(op, "batch 0 with NULLs", f(NULL, 0, 0, 3, 4, GP_NCHW, NULL, 0), GP_OK);
        expect(op, "channels 0 with NULLs", f(NULL, 0, 2, 0, 4, GP_NHWC, NULL, 0), GP_OK);
        expect(op, "layout 2", f(in, 24, 2, 3, 4, 2u, out, 6), GP_ERR_LAYOUT);
        expect(op, "layout ~0", f(in, 24, 2, 3, 4, 0xffffffffu, out, 6), GP_ERR_LAYOUT);
        expect(op, "input_len 23", f(in, 23, 2, 3, 4, GP_NCHW, out, 6), GP_ERR_INPUT_LENGTH);
        expect(op, "input_len 25", f(in, 25, 2, 3, 4, GP_NCHW, out, 6), GP_ERR_INPUT_LENGTH);
        expect(op, "output_len 5", f(in, 24, 2, 3, 4, GP_NCHW, out, 5), GP_ERR_OUTPUT_LENGTH);
        expect(op, "output_len 7", f(in, 24, 2, 3, 4, GP_NHWC, out, 7), GP_ERR_OUTPUT_LENGTH);
        expect(op, "spatial 0", f(in, 0, 2, 3, 0, GP_NCHW, out, 6), GP_ERR_EMPTY_SPATIAL);
        expect(op, "spatial 0, NULL input", f(NULL, 0, 2, 3, 0, GP_NHWC, out, 6),
               GP_ERR_EMPTY_SPATIAL);
        expect(op, "batch * channels overflows",
               f(in, 24, (size_t)-1, 2, 4, GP_NCHW, out, 6), GP_ERR_SHAPE_OVERFLOW);
        expect(op, "times spatial overflows",
               f(in, 24, 1, 2, ((size_t)-1) / 2 + 1, GP_NCHW, out, 2), GP_ERR_SHAPE_OVERFLOW);
        expect(op, "bytes overflow", f(in, 24, 1, 1, ((size_t)-1) / 4, GP_NCHW, out, 1),
               GP_ERR_SHAPE_OVERFLOW);
        expect(op, "misaligned input",
               f((const float *)((const char *)in + 1), 24, 2, 3, 4, GP_NCHW, out, 6),
               GP_ERR_ALIGNMENT);
        expect(op, "misaligned output",
               f(in, 24, 2, 3, 4, GP_NCHW, (float *)((char *)out + 2), 6), GP_ERR_ALIGNMENT);
        expect(op, "output inside input", f(in, 24, 2, 3, 4, GP_NCHW, in + 20, 4),
               GP_ERR_OUTPUT_LENGTH);
        expect(op, "output inside input", f(in, 24, 1, 6, 4, GP_NCHW, in + 10, 6), GP_ERR_OVERLAP);
        expect(op, "output at input's last element", f(in, 24, 1, 6, 4, GP_NHWC, in + 23, 6),
               GP_ERR_OVERLAP);
        expect(op, "output ending at input's first element",
               f(in + 6, 24, 1, 6, 4, GP_NCHW, in + 1, 6), GP_ERR_OVERLAP);
        expect(op, "output right before input", f(in + 6, 24, 1, 6, 4, GP_NCHW, in, 6), GP_OK);
        for (i = 0; i < 8; i++) out[i] = -1.0f;
        expect(op, "output right after input", f(in, 24, 1, 6, 4, GP_NCHW, in + 24, 6), GP_OK);
        /* Nothing written by the failing calls above (out was reset before them). */
        for (i = 0; i < 8; i++) {
            if (out[i] != -1.0f) {
                fprintf(stderr, "FAIL %s: an erroring call wrote out[%u]\n", OP_NAMES[op],
                        (unsigned)i);
                failures++;
            }
        }
    }
    if (strcmp(gp_status_str(GP_OK), "ok") != 0 ||
        strcmp(gp_status_str((gp_status)42), "unknown status") != 0 ||
        strcmp(gp_status_str((gp_status)-1), "unknown status") != 0 ||
        strlen(gp_status_str(GP_ERR_ALIGNMENT)) == 0) {
        fprintf(stderr, "FAIL gp_status_str\n");
        failures++;
    }
}

static int read_exact(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n; }

static uint64_t read_u64(const unsigned char *b) {
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

int main(int argc, char **argv) {
    FILE *cases, *out;
    unsigned char head[28];
    size_t n_cases = 0;
    if (argc != 3) {
        fprintf(stderr, "usage: check CASES OUT\n");
        return 2;
    }
    check_statuses();
    cases = fopen(argv[1], "rb");
    out = fopen(argv[2], "wb");
    if (!cases || !out) {
        perror("open");
        return 2;
    }
    while (read_exact(cases, head, sizeof head)) {
        size_t batch = (size_t)read_u64(head), channels = (size_t)read_u64(head + 8),
               spatial = (size_t)read_u64(head + 16);
        uint32_t layout = (uint32_t)head[24] | (uint32_t)head[25] << 8 |
                          (uint32_t)head[26] << 16 | (uint32_t)head[27] << 24;
        size_t in_len = batch * channels * spatial, out_len = batch * channels;
        float *in = malloc(in_len * sizeof(float) + 1);
        float *res = malloc(out_len * sizeof(float) + 1);
        int op;
        if (!in || !res || !read_exact(cases, in, in_len * sizeof(float))) {
            fprintf(stderr, "bad case file\n");
            return 2;
        }
        for (op = 0; op < 4; op++) {
            gp_status s = OPS[op](in, in_len, batch, channels, spatial, layout, res, out_len);
            if (s != GP_OK) {
                fprintf(stderr, "FAIL %s on case %u: %s\n", OP_NAMES[op], (unsigned)n_cases,
                        gp_status_str(s));
                failures++;
            }
            fwrite(res, sizeof(float), out_len, out);
        }
        free(in);
        free(res);
        n_cases++;
    }
    fclose(cases);
    fclose(out);
    printf("isa=%s\ncases=%u\nfailures=%d\n", gp_isa_name(), (unsigned)n_cases, failures);
    return failures ? 1 : 0;
}
