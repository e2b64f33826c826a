#ifndef PINION_CMOSQUITTO_SHIM_H
#define PINION_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
