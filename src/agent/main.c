/*
 * sluice-agent: the Sluice client agent.
 */
#include <stdio.h>
#include <string.h>

#include "version.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: sluice-agent COMMAND "
	           "[options]\n"
	           "       sluice-agent --help | --version\n");
}

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("sluice-agent %s\n", SLUICE_VERSION);
			return 0;
		}
	}
	usage(stderr);
	return 2;
}
