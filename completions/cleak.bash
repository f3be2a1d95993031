# bash completion for cleak(1)                             -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Install as /usr/share/bash-completion/completions/cleak, or source it.
# Needs bash 4.3 or later and nothing else (not the bash-completion package).
#
# The commands, their options and what each option's argument is come from
# cleak itself, `cleak __complete` (cmd/complete.c prints its tables): no
# name is written here, so a new option or command needs no change.

# Process ids of the running processes, from /proc.
_cleak_pids()
{
	local p pids=()

	for p in /proc/[0-9]*; do
		pids+=("${p#/proc/}")
	done
	COMPREPLY=($(compgen -W "${pids[*]}" -- "$1"))
}

# Directories.  ':' splits words in bash (COMP_WORDBREAKS), so each entry
# of a ':'-separated list is completed on its own.
_cleak_dirs()
{
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -d -- "$1"))
}

# Files, or with $2 a pattern such as '*.json', the files that match it
# and the directories that may hold some.
_cleak_files()
{
	compopt -o filenames 2>/dev/null
	if [[ -n $2 ]]; then
		COMPREPLY=($(compgen -f -X "!$2" -- "$1") $(compgen -d -- "$1"))
	else
		COMPREPLY=($(compgen -f -- "$1"))
	fi
}

# `cleak __complete options [CMD]` read into the caller's opts (every form)
# and values (an option that takes an argument -> what to offer for it).
_cleak_options()
{
	local long short arg value rest

	while IFS=$'\t' read -r long short arg value rest; do
		opts+=("$long")
		[[ $short != - ]] && opts+=("$short")
		[[ $arg == - ]] && continue
		values[$long]=$value
		[[ $short != - ]] && values[$short]=$value
	done < <("$prog" __complete options "$@" 2>/dev/null)
}

# The argument of an option: $1 is what cleak __complete says it is.
_cleak_value()
{
	case "$1" in
	file) _cleak_files "$cur" ;;
	dir|dirs) _cleak_dirs "$cur" ;;
	one-of:*) COMPREPLY=($(compgen -W "${1#one-of:}" -- "$cur")) ;;
	esac
	return 0	# "any": a number, a duration, a name: nothing to offer
}

_cleak()
{
	local cur=$2 prog=${COMP_WORDS[0]} cmd prev word i j w dashdash=
	local -a words=() opts=() operands=()
	local -A values=()
	local cword

	COMPREPLY=()
	# Put back together what COMP_WORDBREAKS split: "--opt", "=", "value"
	# and "dir1", ":", "dir2" are one word each for cleak.
	for ((j = 0; j <= COMP_CWORD; j++)); do
		w=${COMP_WORDS[j]}
		if ((j > 1)) && [[ $w == [=:] || ${COMP_WORDS[j - 1]} == [=:] ]]; then
			words[-1]+=$w
		else
			words+=("$w")
		fi
	done
	cword=$((${#words[@]} - 1))

	if ((cword == 1)); then
		if [[ $cur == -* ]]; then
			_cleak_options
			COMPREPLY=($(compgen -W "${opts[*]}" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$prog" __complete commands 2>/dev/null |
						   cut -f1)" -- "$cur"))
		fi
		return 0
	fi

	cmd=${words[1]}
	case "$cmd" in
	-h|--help|help)
		# cleak --help <command>
		((cword == 2)) && COMPREPLY=($(compgen -W "$("$prog" __complete commands \
					2>/dev/null | cut -f1)" -- "$cur"))
		return 0
		;;
	-*)
		return 0
		;;
	esac
	# cleak resolves a unique prefix of a command as the command.
	_cleak_options "$cmd"
	((${#opts[@]})) || return 0	# not a command

	# "--sysroot=DIR": complete the value as if it were a word of its own.
	prev=${words[cword - 1]}
	if [[ ${words[cword]} == --*=* ]]; then
		prev=${words[cword]%%=*}
	fi
	if [[ -n $prev && -n ${values[$prev]+set} ]]; then
		_cleak_value "${values[$prev]}"
		return 0
	fi

	# cleak takes options before and after the operands, and none after "--".
	for ((i = 2; i < cword; i++)); do
		word=${words[i]}
		if [[ -n $dashdash ]]; then
			operands+=("$word")
			continue
		fi
		case "$word" in
		--) dashdash=1 ;;
		--*=*) ;;
		-*) [[ -n ${values[$word]+set} ]] && ((i++)) ;;
		*) operands+=("$word") ;;
		esac
	done
	if [[ $cur == -* && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "${opts[*]}" -- "$cur"))
		return 0
	fi
	case "$("$prog" __complete operands "$cmd" 2>/dev/null)" in
	none)
		# No operand: the options are all there is to offer.
		[[ -z $dashdash ]] && COMPREPLY=($(compgen -W "${opts[*]}" -- "$cur"))
		;;
	pid)
		((${#operands[@]})) || _cleak_pids "$cur"	# one pid at a time
		;;
	pid-or-snapshots)
		if ((${#operands[@]} == 0)); then
			# A pid, or the first of the snapshots saved by `cleak stack`.
			_cleak_pids "$cur"
			local pids=("${COMPREPLY[@]}")
			_cleak_files "$cur" '*.json'
			COMPREPLY+=("${pids[@]}")
		elif [[ ${operands[0]} == *[!0-9]* ]]; then
			_cleak_files "$cur" '*.json'	# more snapshots; nothing after a pid
		fi
		;;
	esac
	return 0
}

complete -F _cleak cleak
