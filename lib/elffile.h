/* SPDX-License-Identifier: MIT */
/* elffile.h - ELF files mapped whole (elffile.c).  Internal; not part of the
 * public API. */
#ifndef CLEAK_ELFFILE_H
#define CLEAK_ELFFILE_H

#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A whole file, mapped read-only; false for an empty or unmappable file. */
bool cleak__map_fd(int fd, const uint8_t **image, size_t *len);
/* The bytes of section `name` of an ELF mapped at `image` (not SHT_NOBITS),
 * its header in *sh; NULL when absent or past the file's end. */
const uint8_t *cleak__elf_section(Elf *elf, const uint8_t *image, size_t image_len,
				  const char *name, GElf_Shdr *sh);

#endif
