// SPDX-License-Identifier: MIT
/*
 * Reading the call that pushed a return address, from the code in the
 * mapped files (modules.c), never the live process.  Only the encodings
 * compilers emit for calls and PLT stubs are decoded (Intel SDM vol. 2:
 * CALL, JMP; table 2-2 for ModRM and SIB addressing).
 */
#include "native/callsite.h"
#include "native/modules.h"

#include <stdlib.h>
#include <string.h>

/* The length of `call r/m64` (0xff /2) counting the opcode, from its
 * ModRM byte and, when there is one, its SIB byte. */
static unsigned indirect_call_len(uint8_t modrm, uint8_t sib)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;

	if (mod == 3)
		return 2;				/* call *%reg */
	if (mod == 0 && rm == 5)
		return 6;				/* call *disp32(%rip) */
	if (mod == 0)
		return rm == 4 ? ((sib & 7) == 5 ? 7 : 3) : 2;
	return (mod == 1 ? 3 : 6) + (rm == 4);		/* disp8 or disp32 */
}

enum cleak__call cleak__call_before(struct cleak__modules *mods, uint64_t ret,
				    uint64_t *target)
{
	uint8_t b[9];	/* the 8 bytes before ret, and a 0 for the SIB probe */
	unsigned len;
	int32_t rel;

	if (ret < 8 || !cleak__modules_read(mods, ret - 8, b, 8))
		return CLEAK__CALL_NONE;
	b[8] = 0;
	if (b[3] == 0xe8) {
		memcpy(&rel, b + 4, sizeof(rel));
		*target = ret + (uint64_t)(int64_t)rel;
		if (cleak__modules_is_code(mods, *target))
			return CLEAK__CALL_DIRECT;
	}
	/* Prefixes (REX, notrack) come before the 0xff and change nothing. */
	for (len = 2; len <= 7; len++)
		if (b[8 - len] == 0xff && ((b[9 - len] >> 3) & 7) == 2 &&
		    indirect_call_len(b[9 - len], b[10 - len]) == len)
			return CLEAK__CALL_INDIRECT;
	return CLEAK__CALL_NONE;
}

bool cleak__is_plt_stub(struct cleak__modules *mods, uint64_t addr)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	uint8_t b[7];

	if (!cleak__modules_read(mods, addr, b, sizeof(b)))
		return false;
	/* .plt.sec entries under CET: endbr64, then bnd jmp or jmp *GOT(%rip) */
	if (memcmp(b, endbr64, sizeof(endbr64)) == 0)
		return (b[4] == 0xf2 && b[5] == 0xff && b[6] == 0x25) ||
		       (b[4] == 0xff && b[5] == 0x25);
	return b[0] == 0xff && b[1] == 0x25;
}

bool cleak__jumps_to(struct cleak__modules *mods, uint64_t lo, uint64_t hi, uint64_t entry)
{
	uint8_t *code;
	uint64_t i;
	int32_t rel;
	bool found = false;

	/* A function is rarely longer; a longer one is not looked at. */
	if (hi <= lo || hi - lo > 65536 || !(code = malloc(hi - lo)))
		return false;
	if (cleak__modules_read(mods, lo, code, hi - lo))
		for (i = 0; i + 5 <= hi - lo && !found; i++) {
			if (code[i] != 0xe9)
				continue;
			memcpy(&rel, code + i + 1, sizeof(rel));
			found = lo + i + 5 + (uint64_t)(int64_t)rel == entry;
		}
	free(code);
	return found;
}
