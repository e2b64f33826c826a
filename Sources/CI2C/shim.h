#ifndef PINION_CI2C_SHIM_H
#define PINION_CI2C_SHIM_H
#include <sys/ioctl.h>
#include <linux/i2c.h>
#include <linux/i2c-dev.h>
#include <i2c/smbus.h>

/* ioctl is variadic, which Swift cannot call: one shim per argument shape. */
static inline int pinion_i2c_ioctl_value(int fd, unsigned long request, unsigned long value) {
    return ioctl(fd, request, value);
}
static inline int pinion_i2c_ioctl_pointer(int fd, unsigned long request, void *argument) {
    return ioctl(fd, request, argument);
}
#endif
