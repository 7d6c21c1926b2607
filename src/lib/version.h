/* version: the project version string, set by the build. */
#ifndef SLUICE_VERSION_H
#define SLUICE_VERSION_H
#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif
#endif
