#ifndef PINION_CLIBUSB_SHIM_H
#define PINION_CLIBUSB_SHIM_H
#include <libusb.h>

/* libusb_set_option is variadic, which Swift cannot call: one shim per argument shape. */
static inline int pinion_libusb_set_option(libusb_context *ctx, enum libusb_option option) {
    return libusb_set_option(ctx, option);
}
static inline int pinion_libusb_set_option_int(libusb_context *ctx, enum libusb_option option, int value) {
    return libusb_set_option(ctx, option, value);
}
#endif
