/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "spec/spec.h"

void net_spec_free(struct ward_net_spec *n);

/* The network part of the spec arrives with the networking work; until then
 * a spec never carries one. */
void net_spec_free(struct ward_net_spec *n)
{
	free(n);
}
