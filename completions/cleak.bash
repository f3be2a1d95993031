# bash completion for cleak(1)                             -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Install as /usr/share/bash-completion/completions/cleak, or source it.
# Needs nothing but bash itself (not the bash-completion package).
#
# One function per command, _cleak_<command>, holds that command's options
# in its `opts` string and the options that take an argument in the
# `case "$prev"` patterns.  tests/e2e/test_docs.py compares both with
# `cleak <command> --help`: keep that layout when adding options.

# Process ids of the running processes, from /proc.
_cleak_pids()
{
	local p pids=()

	for p in /proc/[0-9]*; do
		pids+=("${p#/proc/}")
	done
	COMPREPLY=($(compgen -W "${pids[*]}" -- "$1"))
}

# Directories.  Colons split a word in bash (COMP_WORDBREAKS), so an entry
# of a ':'-separated list is completed on its own.
_cleak_dirs()
{
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -d -- "$1"))
}

# cleak stack [options] <pid>
_cleak_stack()
{
	local cur=$1 prev=$2 first=$3 opts i word operands=0

	opts="-a --all -j --json --pretty -F --freeze -n --max-frames
	      --stack-bytes -t --tid --no-inlines --no-lines -r --raw
	      --sysroot --debuginfo-path -h --help"

	case "$prev" in
	-n|--max-frames|--stack-bytes|-t|--tid)
		# A number: nothing to offer.
		return 0
		;;
	--sysroot|--debuginfo-path)
		_cleak_dirs "$cur"
		return 0
		;;
	esac

	# Options end at the first operand (the pid) or at "--".
	for ((i = first; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case "$word" in
		-n|--max-frames|--stack-bytes|-t|--tid|--sysroot|--debuginfo-path)
			((i++)) ;;
		=) ;;
		--) operands=1; ((i++)); break ;;
		-*) ;;
		*) operands=1; break ;;
		esac
	done
	for ((; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == "=" ]] || ((operands++))
	done
	if ((operands > 1)) || { ((operands == 1)) && [[ ${COMP_WORDS[COMP_CWORD - 1]} != -- ]]; }; then
		return 0	# one pid at a time
	fi
	if ((operands == 0)) && [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	_cleak_pids "$cur"
}

_cleak()
{
	local cur prev cmd commands i

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--opt=value" arrives as three words: --opt, =, value.
	if [[ $cur == "=" ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	commands="stack"

	if ((COMP_CWORD == 1)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-h --help -V --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return 0
	fi

	cmd=${COMP_WORDS[1]}
	case "$cmd" in
	-h|--help|help)
		# cleak --help <command>
		((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return 0
		;;
	-*)
		return 0
		;;
	esac
	# A unique prefix names a command too, as cleak itself accepts.
	for i in $commands; do
		if [[ $i == "$cmd"* ]]; then
			cmd=$i
			break
		fi
	done
	if declare -F "_cleak_$cmd" >/dev/null; then
		"_cleak_$cmd" "$cur" "$prev" 2
	fi
	return 0
}

complete -F _cleak cleak
