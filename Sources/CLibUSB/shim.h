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

#ifdef __linux__
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>

/* One synchronous control transfer on an open usbfs file (USBDEVFS_CONTROL): the kernel waits for
   the completion itself, one system call instead of libusb's submit, poll and reap. Returns the
   byte count, or -errno. ioctl is variadic, which Swift cannot call. */
static inline int pinion_usbfs_control(int fd, uint8_t request_type, uint8_t request, uint16_t value,
                                       uint16_t index, void *data, uint16_t length, uint32_t timeout_ms) {
    struct usbdevfs_ctrltransfer transfer = {
        .bRequestType = request_type, .bRequest = request, .wValue = value, .wIndex = index,
        .wLength = length, .timeout = timeout_ms, .data = data,
    };
    int result = ioctl(fd, USBDEVFS_CONTROL, &transfer);
    return result < 0 ? -errno : result;
}
#endif
#endif
