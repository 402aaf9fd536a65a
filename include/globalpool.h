/*
 * globalpool.h - C interface of the globalpool library (libglobalpool.a / libglobalpool.so).
 *
 * Global pooling: sum, average, max and min over the spatial positions of every channel of a
 * float, int8, uint8 or int16 tensor, in NCHW or NHWC layout, and TFLite's quantized MEAN. The library picks the fastest code path for the running
 * CPU on the first call (AVX-512, AVX2 or SSE2 on x86-64, NEON on aarch64, plain code on
 * microcontrollers); every path gives bit-identical results.
 *
 * Guarantees: no allocation, no panic or abort, no global state beyond one cached CPU-detection
 * result, safe to call from any thread. On any error the output is not written.
 *
 * Layouts (the output is [batch][channels] for both):
 *   GP_NCHW  input is [batch][channels][spatial]
 *   GP_NHWC  input is [batch][spatial][channels]
 * where spatial = H * W (or the number of tokens). input_len must be batch * channels * spatial
 * and output_len must be batch * channels, counted in elements (not bytes).
 *
 * Results (float):
 *   sum  one fixed, documented summation order, the same on every CPU; error bound
 *        |error| <= 2^-24 |sum| + 4.1e-6 * sum(|x|)
 *   avg  that sum divided by spatial (one correctly rounded float division)
 *   max  IEEE 754-2019 maximum: any NaN in a channel gives NaN, +0.0 > -0.0
 *   min  IEEE 754-2019 minimum: any NaN in a channel gives NaN, -0.0 < +0.0
 *   Every NaN written is the quiet NaN with bits 0x7FC00000.
 *
 * Results (int8_t, uint8_t, int16_t), bit-exact with the TFLite / TFLite-Micro reference kernels:
 *   sum   the exact sum, as int32_t (GP_ERR_SPATIAL_TOO_LARGE where it could overflow)
 *   avg   TFLite AVERAGE_POOL_2D (CMSIS-NN arm_avgpool_s8 / _s16): input and output share scale
 *         and zero point; with acc the exact sum and n = spatial,
 *         acc > 0 ? (acc + n/2) / n : (acc - n/2) / n   (C division)
 *   avg_clamped  the same, then clamped to [min, max] (TFLite's fused activation)
 *   max, min     exact
 *   mean_quantized  TFLite MEAN with its own output scale and zero point (reference_ops::
 *         QuantizedMeanOrSum; GP_ROUNDING_DOUBLE is the default TFLite build,
 *         GP_ROUNDING_SINGLE a build with TFLITE_SINGLE_ROUNDING)
 *
 * This header is C99 and C++ compatible. Its declarations are checked against the library by the
 * crate's tests (tests/c_api.rs compiles and runs a C program against it).
 */
#ifndef GLOBALPOOL_H
#define GLOBALPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a call did. GP_OK is 0; every other value means nothing was written. */
typedef enum gp_status {
    GP_OK = 0,                  /* done */
    GP_ERR_NULL = 1,            /* input or output is NULL while its length is not 0 */
    GP_ERR_INPUT_LENGTH = 2,    /* input_len != batch * channels * spatial */
    GP_ERR_OUTPUT_LENGTH = 3,   /* output_len != batch * channels */
    GP_ERR_EMPTY_SPATIAL = 4,   /* spatial == 0 while batch * channels != 0 */
    GP_ERR_SHAPE_OVERFLOW = 5,  /* batch * channels * spatial (or its size in bytes) overflows */
    GP_ERR_OVERLAP = 6,         /* the input and output memory overlap */
    GP_ERR_LAYOUT = 7,          /* layout is neither GP_NCHW nor GP_NHWC */
    GP_ERR_ALIGNMENT = 8,       /* a pointer is not aligned for its element type */
    GP_ERR_QUANTIZATION = 9,    /* a scale is not finite and > 0, a zero point is out of the type's
                                   range, or rounding is not GP_ROUNDING_DOUBLE / _SINGLE */
    GP_ERR_SPATIAL_TOO_LARGE = 10, /* integer sum / avg / mean with spatial above 2^24 (int8),
                                      8421504 (uint8) or 2^16 (int16) */
    GP_ERR_CLAMP = 11,          /* avg_clamped with min > max */
    GP_STATUS_FORCE_32BIT = 0x7fffffff /* keeps gp_status int-sized with -fshort-enums too */
} gp_status;

/* Values of the layout argument. */
#define GP_NCHW 0u
#define GP_NHWC 1u

/* Values of the rounding argument of the gp_global_mean_quantized_* functions. */
#define GP_ROUNDING_DOUBLE 0u
#define GP_ROUNDING_SINGLE 1u

/*
 * The pooling functions. All take the same arguments:
 *   input, input_len     the tensor, input_len = batch * channels * spatial elements
 *   batch, channels      the number of images (or sequences) and of channels
 *   spatial              the number of positions pooled over: H * W, or the number of tokens
 *   layout               GP_NCHW or GP_NHWC
 *   output, output_len   the result, output_len = batch * channels elements, [batch][channels]
 * batch == 0 or channels == 0 is valid and writes nothing (GP_OK).
 * A NULL pointer is accepted when its length is 0.
 *
 * Checks, in this order: GP_ERR_NULL, GP_ERR_LAYOUT, GP_ERR_SHAPE_OVERFLOW, GP_ERR_INPUT_LENGTH,
 * GP_ERR_OUTPUT_LENGTH, GP_ERR_ALIGNMENT, GP_ERR_OVERLAP, then (integer functions)
 * GP_ERR_CLAMP / GP_ERR_QUANTIZATION, GP_ERR_EMPTY_SPATIAL, GP_ERR_SPATIAL_TOO_LARGE.
 */
gp_status gp_global_sum_pool_f32(const float *input, size_t input_len, size_t batch,
                                 size_t channels, size_t spatial, uint32_t layout,
                                 float *output, size_t output_len);
gp_status gp_global_avg_pool_f32(const float *input, size_t input_len, size_t batch,
                                 size_t channels, size_t spatial, uint32_t layout,
                                 float *output, size_t output_len);
gp_status gp_global_max_pool_f32(const float *input, size_t input_len, size_t batch,
                                 size_t channels, size_t spatial, uint32_t layout,
                                 float *output, size_t output_len);
gp_status gp_global_min_pool_f32(const float *input, size_t input_len, size_t batch,
                                 size_t channels, size_t spatial, uint32_t layout,
                                 float *output, size_t output_len);

/* int8_t tensors: sums are int32_t; the rest write int8_t. */
gp_status gp_global_sum_pool_i8(const int8_t *input, size_t input_len, size_t batch,
                                size_t channels, size_t spatial, uint32_t layout,
                                int32_t *output, size_t output_len);
gp_status gp_global_avg_pool_i8(const int8_t *input, size_t input_len, size_t batch,
                                size_t channels, size_t spatial, uint32_t layout,
                                int8_t *output, size_t output_len);
gp_status gp_global_max_pool_i8(const int8_t *input, size_t input_len, size_t batch,
                                size_t channels, size_t spatial, uint32_t layout,
                                int8_t *output, size_t output_len);
gp_status gp_global_min_pool_i8(const int8_t *input, size_t input_len, size_t batch,
                                size_t channels, size_t spatial, uint32_t layout,
                                int8_t *output, size_t output_len);
gp_status gp_global_avg_pool_clamped_i8(const int8_t *input, size_t input_len, size_t batch,
                                        size_t channels, size_t spatial, uint32_t layout,
                                        int8_t min, int8_t max, int8_t *output, size_t output_len);
gp_status gp_global_mean_quantized_i8(const int8_t *input, size_t input_len, size_t batch,
                                      size_t channels, size_t spatial, uint32_t layout,
                                      float input_scale, int32_t input_zero_point,
                                      float output_scale, int32_t output_zero_point,
                                      uint32_t rounding, int8_t *output, size_t output_len);

/* uint8_t tensors: sums are int32_t; the rest write uint8_t. */
gp_status gp_global_sum_pool_u8(const uint8_t *input, size_t input_len, size_t batch,
                                size_t channels, size_t spatial, uint32_t layout,
                                int32_t *output, size_t output_len);
gp_status gp_global_avg_pool_u8(const uint8_t *input, size_t input_len, size_t batch,
                                size_t channels, size_t spatial, uint32_t layout,
                                uint8_t *output, size_t output_len);
gp_status gp_global_max_pool_u8(const uint8_t *input, size_t input_len, size_t batch,
                                size_t channels, size_t spatial, uint32_t layout,
                                uint8_t *output, size_t output_len);
gp_status gp_global_min_pool_u8(const uint8_t *input, size_t input_len, size_t batch,
                                size_t channels, size_t spatial, uint32_t layout,
                                uint8_t *output, size_t output_len);
gp_status gp_global_avg_pool_clamped_u8(const uint8_t *input, size_t input_len, size_t batch,
                                        size_t channels, size_t spatial, uint32_t layout,
                                        uint8_t min, uint8_t max, uint8_t *output, size_t output_len);
gp_status gp_global_mean_quantized_u8(const uint8_t *input, size_t input_len, size_t batch,
                                      size_t channels, size_t spatial, uint32_t layout,
                                      float input_scale, int32_t input_zero_point,
                                      float output_scale, int32_t output_zero_point,
                                      uint32_t rounding, uint8_t *output, size_t output_len);

/* int16_t tensors: sums are int32_t; the rest write int16_t. */
gp_status gp_global_sum_pool_i16(const int16_t *input, size_t input_len, size_t batch,
                                 size_t channels, size_t spatial, uint32_t layout,
                                 int32_t *output, size_t output_len);
gp_status gp_global_avg_pool_i16(const int16_t *input, size_t input_len, size_t batch,
                                 size_t channels, size_t spatial, uint32_t layout,
                                 int16_t *output, size_t output_len);
gp_status gp_global_max_pool_i16(const int16_t *input, size_t input_len, size_t batch,
                                 size_t channels, size_t spatial, uint32_t layout,
                                 int16_t *output, size_t output_len);
gp_status gp_global_min_pool_i16(const int16_t *input, size_t input_len, size_t batch,
                                 size_t channels, size_t spatial, uint32_t layout,
                                 int16_t *output, size_t output_len);
gp_status gp_global_avg_pool_clamped_i16(const int16_t *input, size_t input_len, size_t batch,
                                         size_t channels, size_t spatial, uint32_t layout,
                                         int16_t min, int16_t max, int16_t *output, size_t output_len);
gp_status gp_global_mean_quantized_i16(const int16_t *input, size_t input_len, size_t batch,
                                       size_t channels, size_t spatial, uint32_t layout,
                                       float input_scale, int32_t input_zero_point,
                                       float output_scale, int32_t output_zero_point,
                                       uint32_t rounding, int16_t *output, size_t output_len);

/* The code path chosen on this CPU: "avx512", "avx2", "sse2", "neon", "simd128", "portable" or
 * "scalar". A static, NUL-terminated string; never NULL. */
const char *gp_isa_name(void);

/* A static, NUL-terminated, human-readable message for a status (also for unknown values);
 * never NULL. */
const char *gp_status_str(gp_status status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GLOBALPOOL_H */
