/* Global average and max pooling of a CNN head from C: 1 image, 8 channels, 7x7 maps, NHWC.
 * Build and run: `make -C examples/c run` (see the Makefile). */
#include "globalpool.h"

#include <stdio.h>

#define CHANNELS 8
#define SPATIAL (7 * 7)

int main(void) {
    static float features[SPATIAL * CHANNELS]; /* [spatial][channels] */
    float avg[CHANNELS], max[CHANNELS];
    gp_status s;
    int c, i;
    for (i = 0; i < SPATIAL; i++)
        for (c = 0; c < CHANNELS; c++) features[i * CHANNELS + c] = (float)(c * 100 + i);

    s = gp_global_avg_pool_f32(features, SPATIAL * CHANNELS, 1, CHANNELS, SPATIAL, GP_NHWC, avg,
                               CHANNELS);
    if (s != GP_OK) {
        fprintf(stderr, "avg: %s\n", gp_status_str(s));
        return 1;
    }
    s = gp_global_max_pool_f32(features, SPATIAL * CHANNELS, 1, CHANNELS, SPATIAL, GP_NHWC, max,
                               CHANNELS);
    if (s != GP_OK) {
        fprintf(stderr, "max: %s\n", gp_status_str(s));
        return 1;
    }
    printf("path: %s\n", gp_isa_name());
    for (c = 0; c < CHANNELS; c++) printf("channel %d: avg %g, max %g\n", c, avg[c], max[c]);

    /* Errors are status codes; nothing is written. */
    s = gp_global_avg_pool_f32(features, 10, 1, CHANNELS, SPATIAL, GP_NHWC, avg, CHANNELS);
    printf("wrong input length: %s\n", gp_status_str(s));
    return 0;
}
