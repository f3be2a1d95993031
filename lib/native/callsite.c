// SPDX-License-Identifier: MIT
/*
 * Reading the call that pushed a return address, from the code and the
 * symbol and relocation tables of the mapped files (modules.c), never the
 * live process.  Only the encodings compilers emit for calls, jumps, PLT
 * stubs and the signal trampoline are decoded (Intel SDM vol. 2: CALL,
 * JMP, Jcc; table 2-2 for ModRM and SIB addressing).
 */
#include "native/callsite.h"
#include "native/modules.h"

#include <stdlib.h>
#include <string.h>

/* The length of an 0xff /r instruction from its opcode on, given its
 * ModRM byte and, when there is one, its SIB byte. */
static unsigned modrm_len(uint8_t modrm, uint8_t sib)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;

	if (mod == 3)
		return 2;				/* *%reg */
	if (mod == 0 && rm == 5)
		return 6;				/* *disp32(%rip) */
	if (mod == 0)
		return rm == 4 ? ((sib & 7) == 5 ? 7 : 3) : 2;
	return (mod == 1 ? 3 : 6) + (rm == 4);		/* disp8 or disp32 */
}

static int32_t rd32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The name of a symbol in `symtab` (a SHT_SYMTAB or SHT_DYNSYM section). */
static const char *sym_name(Elf *elf, Elf_Scn *symtab, size_t index)
{
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;

	if (!gelf_getshdr(symtab, &sh) || !(d = elf_getdata(symtab, NULL)) ||
	    !gelf_getsym(d, (int)index, &sym))
		return NULL;
	return elf_strptr(elf, sh.sh_link, sym.st_name);
}

/*
 * The symbol that the GOT slot at runtime address `slot` is relocated to
 * (a JUMP_SLOT in .rela.plt, a GLOB_DAT in .rela.dyn), or NULL.
 */
static const char *got_symbol(struct cleak__modules *mods, uint64_t slot)
{
	struct cleak__module *mod = cleak__modules_at(mods, slot);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Rela r;
	Elf_Data *d;
	size_t i;

	if (!mod || !mod->elf)
		return NULL;
	while ((scn = elf_nextscn(mod->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (i = 0; i < sh.sh_size / sh.sh_entsize; i++)
			if (gelf_getrela(d, (int)i, &r) && r.r_offset == slot - mod->bias &&
			    GELF_R_SYM(r.r_info))
				return sym_name(mod->elf, elf_getscn(mod->elf, sh.sh_link),
						GELF_R_SYM(r.r_info));
	}
	return NULL;
}

/* Does `name` (perhaps with a @version) name the function at `entry`? -1:
 * the function has no symbol to tell. */
static int names_function(struct cleak__modules *mods, uint64_t entry, const char *name)
{
	struct cleak__module *mod = cleak__modules_at(mods, entry);
	size_t len = strcspn(name, "@"), i;
	Elf_Scn *scn = NULL;
	const char *s;
	int found = -1;
	GElf_Shdr sh;
	GElf_Sym sym;
	Elf_Data *d;

	if (!mod || !mod->elf)
		return -1;
	while ((scn = elf_nextscn(mod->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB &&
		    sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    sym.st_value != entry - mod->bias ||
			    (GELF_ST_TYPE(sym.st_info) != STT_FUNC &&
			     GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC))
				continue;
			s = elf_strptr(mod->elf, sh.sh_link, sym.st_name);
			if (s && strncmp(s, name, len) == 0 && (s[len] == 0 || s[len] == '@'))
				return 1;
			found = 0;
		}
	}
	return found;
}

/* The GOT slot a PLT stub at addr jumps through, or 0 when addr is not a
 * stub: jmp *GOT(%rip), after endbr64 and a bnd prefix in .plt.sec. */
static uint64_t plt_slot(struct cleak__modules *mods, uint64_t addr)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	uint8_t b[11];
	size_t at = 0;

	if (!cleak__modules_read(mods, addr, b, sizeof(b)))
		return 0;
	if (memcmp(b, endbr64, sizeof(endbr64)) == 0)
		at = 4;
	if (b[at] == 0xf2)
		at++;
	if (b[at] != 0xff || b[at + 1] != 0x25)
		return 0;
	return addr + at + 6 + (uint64_t)(int64_t)rd32(b + at + 2);
}

/* What a call through the GOT slot says about entering `entry`. */
static enum cleak__evidence through_got(struct cleak__modules *mods, uint64_t slot,
					uint64_t entry)
{
	const char *name = got_symbol(mods, slot);
	int named;

	if (!name)
		return CLEAK__CALL_POSSIBLE;
	named = names_function(mods, entry, name);
	return named > 0 ? CLEAK__CALL_PROVEN :
	       named == 0 ? CLEAK__CALL_CONTRADICTED : CLEAK__CALL_POSSIBLE;
}

/*
 * Could the function at [lo, hi), called directly, have ended up in the
 * function at entry without a call of its own: a jump to it (a tail call,
 * rel32, rel8 or conditional), or a jump that leaves the function for
 * somewhere else (a tail call to a function that may go on to entry) or
 * through a register (a jump table or a tail call through a pointer)?
 */
static enum cleak__evidence tail_calls(struct cleak__modules *mods, uint64_t lo,
				       uint64_t hi, uint64_t entry)
{
	enum cleak__evidence e = CLEAK__CALL_CONTRADICTED;
	uint64_t i, target, len = hi - lo;
	uint8_t *code;

	/* A function is rarely longer; a longer one is not looked at. */
	if (hi <= lo || len > 65536 || !(code = malloc(len + 8)))
		return CLEAK__CALL_POSSIBLE;
	memset(code + len, 0, 8);
	if (!cleak__modules_read(mods, lo, code, len)) {
		free(code);
		return CLEAK__CALL_POSSIBLE;
	}
	for (i = 0; i < len && e != CLEAK__CALL_PROVEN; i++) {
		target = 0;
		if (code[i] == 0xe9)					/* jmp rel32 */
			target = lo + i + 5 + (uint64_t)(int64_t)rd32(code + i + 1);
		else if (code[i] == 0xeb)				/* jmp rel8 */
			target = lo + i + 2 + (uint64_t)(int64_t)(int8_t)code[i + 1];
		else if (code[i] == 0x0f && (code[i + 1] & 0xf0) == 0x80)	/* jcc rel32 */
			target = lo + i + 6 + (uint64_t)(int64_t)rd32(code + i + 2);
		else if ((code[i] & 0xf0) == 0x70)			/* jcc rel8 */
			target = lo + i + 2 + (uint64_t)(int64_t)(int8_t)code[i + 1];
		else if (code[i] == 0xff && ((code[i + 1] >> 3) & 7) == 4)	/* jmp r/m64 */
			e = CLEAK__CALL_POSSIBLE;
		if (target == entry)
			e = CLEAK__CALL_PROVEN;
		else if (target && (target < lo || target >= hi))
			e = CLEAK__CALL_POSSIBLE;
	}
	free(code);
	return e;
}

enum cleak__evidence cleak__call_evidence(struct cleak__modules *mods, uint64_t ret,
					  uint64_t entry, cleak__bounds_fn bounds, void *arg)
{
	/* rt_sigreturn: mov $15, %rax; syscall (glibc's __restore_rt) */
	static const uint8_t restore_rt[9] = { 0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05 };
	enum cleak__evidence best = CLEAK__CALL_CONTRADICTED, e;
	uint8_t b[9];	/* the 8 bytes before ret, and a 0 for the SIB probe */
	uint64_t target, slot, lo, hi;
	unsigned len;

	/* The kernel enters a signal handler with the trampoline as its
	 * return address; no call precedes it. */
	if (cleak__modules_read(mods, ret, b, sizeof(restore_rt)) &&
	    memcmp(b, restore_rt, sizeof(restore_rt)) == 0)
		return CLEAK__CALL_PROVEN;
	if (ret < 8 || !cleak__modules_read(mods, ret - 8, b, 8))
		return CLEAK__CALL_CONTRADICTED;
	b[8] = 0;
	/* The bytes may decode as more than one call ending at ret: take the
	 * one that says the most. */
	if (b[3] == 0xe8) {					/* call rel32 */
		target = ret + (uint64_t)(int64_t)rd32(b + 4);
		if (target == entry)
			return CLEAK__CALL_PROVEN;
		if ((slot = plt_slot(mods, target)))
			e = through_got(mods, slot, entry);
		else if (cleak__modules_is_code(mods, target) && bounds(arg, target, &lo, &hi) &&
			 lo == target)
			e = tail_calls(mods, lo, hi, entry);
		else
			e = cleak__modules_is_code(mods, target) ? CLEAK__CALL_POSSIBLE :
								  CLEAK__CALL_CONTRADICTED;
		if (e == CLEAK__CALL_PROVEN)
			return e;
		best = e;
	}
	/* call r/m64 (0xff /2); prefixes (REX, notrack) come before the
	 * 0xff.  Through the GOT (-fno-plt: call *disp32(%rip)) the
	 * relocation names the function; otherwise nothing does. */
	for (len = 2; len <= 7; len++) {
		const uint8_t *op = b + 8 - len;

		if (op[0] != 0xff || ((op[1] >> 3) & 7) != 2 || modrm_len(op[1], op[2]) != len)
			continue;
		e = op[1] == 0x15 ? through_got(mods, ret + (uint64_t)(int64_t)rd32(op + 2), entry)
				  : CLEAK__CALL_POSSIBLE;
		if (e > best)
			best = e;
	}
	return best;
}
