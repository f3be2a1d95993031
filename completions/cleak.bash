# bash completion for cleak(1)                             -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Install as /usr/share/bash-completion/completions/cleak, or source it.
# Needs bash 4.3 or later and nothing else (not the bash-completion package).
#
# Each command has a function _cleak_<command> that holds its options in
# the `opts` string and its options that take an argument in the
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

# cleak stack [options] <pid>
# Uses words[] and cword from _cleak; $1 is the text being completed.
_cleak_stack()
{
	local cur=$1 prev=${words[cword - 1]} word opts i operands=0 dashdash=

	opts="-a --all -j --json --pretty -F --freeze -n --max-frames
	      --stack-bytes -t --tid --no-inlines --no-lines -r --raw
	      --sysroot --debuginfo-path -f --format --nonblocking -h --help"

	# "--sysroot=DIR": complete the value as if it were a word of its own.
	if [[ ${words[cword]} == --*=* ]]; then
		prev=${words[cword]%%=*}
	fi
	case "$prev" in
	-n|--max-frames|--stack-bytes|-t|--tid)
		# A number: nothing to offer.
		return 0
		;;
	--sysroot|--debuginfo-path)
		_cleak_dirs "$cur"
		return 0
		;;
	-f|--format)
		COMPREPLY=($(compgen -W "text json go" -- "$cur"))
		return 0
		;;
	esac

	# cleak takes options before and after the pid, and none after "--".
	for ((i = 2; i < cword; i++)); do
		word=${words[i]}
		if [[ -n $dashdash ]]; then
			((operands++))
			continue
		fi
		case "$word" in
		--) dashdash=1 ;;
		--*=*) ;;
		-n|--max-frames|--stack-bytes|-t|--tid|--sysroot|--debuginfo-path|-f|--format)
			((i++)) ;;
		-*) ;;
		*) ((operands++)) ;;
		esac
	done
	if [[ $cur == -* && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	((operands > 0)) && return 0	# one pid at a time
	_cleak_pids "$cur"
}

# cleak ps [options]: no operand, options only.
_cleak_ps()
{
	local cur=$1 opts="-g --go -j --json -h --help"

	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}

# cleak diff [options] <pid>
# cleak diff [options] <a.json> <b.json> [c.json...]
_cleak_diff()
{
	local cur=$1 prev=${words[cword - 1]} word opts i first= dashdash=

	opts="-i --interval -c --count -j --json --pretty -a --all --pile
	      --ignore-top --ignore-created-by --ignore-any --ignore-file
	      --nonblocking -h --help"

	if [[ ${words[cword]} == --*=* ]]; then
		prev=${words[cword]%%=*}
	fi
	case "$prev" in
	-i|--interval|-c|--count|--pile|--ignore-top|--ignore-created-by|--ignore-any)
		# A duration, a number or a function name: nothing to offer.
		return 0
		;;
	--ignore-file)
		_cleak_files "$cur"
		return 0
		;;
	esac

	for ((i = 2; i < cword; i++)); do
		word=${words[i]}
		if [[ -n $dashdash ]]; then
			[[ -z $first ]] && first=$word
			continue
		fi
		case "$word" in
		--) dashdash=1 ;;
		--*=*) ;;
		-i|--interval|-c|--count|--pile|--ignore-top|--ignore-created-by|--ignore-any|--ignore-file)
			((i++)) ;;
		-*) ;;
		*) [[ -z $first ]] && first=$word ;;
		esac
	done
	if [[ $cur == -* && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	if [[ -z $first ]]; then
		# A pid, or the first of the snapshots saved by `cleak stack`.
		_cleak_pids "$cur"
		local pids=("${COMPREPLY[@]}")
		_cleak_files "$cur" '*.json'
		COMPREPLY+=("${pids[@]}")
	elif [[ $first == *[!0-9]* ]]; then
		_cleak_files "$cur" '*.json'	# more snapshots, after the first
	fi
	return 0	# nothing after a pid
}

# cleak check [options] <pid>
_cleak_check()
{
	local cur=$1 prev=${words[cword - 1]} word opts i operands=0 dashdash=

	opts="-j --json --pretty --max-goroutines --max-threads --max-growth -i --interval
	      --expect-none --ignore-top --ignore-created-by --ignore-any
	      --ignore-file --settle --nonblocking -h --help"

	if [[ ${words[cword]} == --*=* ]]; then
		prev=${words[cword]%%=*}
	fi
	case "$prev" in
	--max-goroutines|--max-threads|--max-growth|-i|--interval|--expect-none|--ignore-top|--ignore-created-by|--ignore-any|--settle)
		# A number, a duration, a regular expression or a function name.
		return 0
		;;
	--ignore-file)
		_cleak_files "$cur"
		return 0
		;;
	esac

	for ((i = 2; i < cword; i++)); do
		word=${words[i]}
		if [[ -n $dashdash ]]; then
			((operands++))
			continue
		fi
		case "$word" in
		--) dashdash=1 ;;
		--*=*) ;;
		--max-goroutines|--max-threads|--max-growth|-i|--interval|--expect-none|--ignore-top|--ignore-created-by|--ignore-any|--settle|--ignore-file)
			((i++)) ;;
		-*) ;;
		*) ((operands++)) ;;
		esac
	done
	if [[ $cur == -* && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	((operands > 0)) && return 0	# one pid at a time
	_cleak_pids "$cur"
}

# cleak watch [options] <pid>
_cleak_watch()
{
	local cur=$1 prev=${words[cword - 1]} word opts i operands=0 dashdash=

	opts="-i --interval -c --count -j --json -h --help"

	if [[ ${words[cword]} == --*=* ]]; then
		prev=${words[cword]%%=*}
	fi
	case "$prev" in
	-i|--interval|-c|--count)
		# A duration or a number: nothing to offer.
		return 0
		;;
	esac

	for ((i = 2; i < cword; i++)); do
		word=${words[i]}
		if [[ -n $dashdash ]]; then
			((operands++))
			continue
		fi
		case "$word" in
		--) dashdash=1 ;;
		--*=*) ;;
		-i|--interval|-c|--count)
			((i++)) ;;
		-*) ;;
		*) ((operands++)) ;;
		esac
	done
	if [[ $cur == -* && -z $dashdash ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return 0
	fi
	((operands > 0)) && return 0	# one pid at a time
	_cleak_pids "$cur"
}

_cleak()
{
	local cur=$2 cmd commands="stack diff check watch ps" j w
	local -a words=()
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
			COMPREPLY=($(compgen -W "-h --help -V --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return 0
	fi

	cmd=${words[1]}
	case "$cmd" in
	-h|--help|help)
		# cleak --help <command>
		((cword == 2)) && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return 0
		;;
	-*)
		return 0
		;;
	esac
	# A unique prefix names a command too, as cleak itself accepts.
	for w in $commands; do
		if [[ $w == "$cmd"* ]]; then
			cmd=$w
			break
		fi
	done
	if declare -F "_cleak_$cmd" >/dev/null; then
		"_cleak_$cmd" "$cur"
	fi
	return 0
}

complete -F _cleak cleak
