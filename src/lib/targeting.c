/*
 * targeting: the group-assignment vocabulary (targeting.h).
 */
#include "targeting.h"

#include <string.h>

int
targeting_check(const char *mode, const char *unknown, struct err *e)
{
	if (mode != NULL && strcmp(mode, TARGETING_SERVER) != 0 &&
	    strcmp(mode, TARGETING_CLIENT) != 0)
		return err_set(e, SL_EINVAL,
		               "targeting: expected 'server' or 'client'");
	if (unknown != NULL && strcmp(unknown, TARGETING_UNKNOWN_IGNORE) != 0 &&
	    strcmp(unknown, TARGETING_UNKNOWN_CREATE) != 0 &&
	    strcmp(unknown, TARGETING_UNKNOWN_REJECT) != 0)
		return err_set(e, SL_EINVAL,
		               "unknown_groups: expected 'ignore', 'create' or "
		               "'reject'");
	return SL_OK;
}
