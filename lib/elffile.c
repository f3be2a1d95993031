// SPDX-License-Identifier: MIT
/*
 * ELF files as the readers of native code and of Go binaries open them:
 * mapped whole, read-only, and their sections found by name.
 */
#include "elffile.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

bool cleak__map_fd(int fd, const uint8_t **image, size_t *len)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return false;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return false;
	*image = p;
	*len = (size_t)st.st_size;
	return true;
}


const uint8_t *cleak__elf_section(Elf *elf, const uint8_t *image, size_t image_len,
				   const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *n;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, sh) || sh->sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && strcmp(n, name) == 0)
			return sh->sh_offset + sh->sh_size <= image_len ? image + sh->sh_offset
									 : NULL;
	}
	return NULL;
}
