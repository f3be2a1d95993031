# fish completion for cleak(1)
# SPDX-License-Identifier: MIT
#
# Install as cleak.fish in a directory of $fish_complete_path (for example
# /usr/share/fish/vendor_completions.d).
#
# The commands, their options and what each option's argument is come from
# cleak itself, `cleak __complete` (cmd/complete.c prints its tables), read
# when fish loads this file: no name is written here, so a new option or
# command needs no change.

# The operands given so far to command $argv[1], one per line.
function __cleak_operands
    set -l valued __cleak_valued_$argv[1]
    set -l tokens (commandline -opc)
    set -l skip 0
    set -l after_dashdash 0
    # tokens[1] is cleak, tokens[2] the command.
    for t in $tokens[3..-1]
        if test $after_dashdash = 1
            printf '%s\n' $t
        else if test $skip = 1
            set skip 0
        else if test "$t" = --
            set after_dashdash 1
        else if contains -- $t $$valued
            set skip 1
        else if not string match -q -- '-*' $t
            printf '%s\n' $t
        end
    end
end

# True while command $argv[1] still wants its first operand.
function __cleak_needs_first
    test (count (__cleak_operands $argv[1])) = 0
end

# True when `cleak diff` compares files: more snapshots may follow.
function __cleak_needs_more_snapshots
    set -l operands (__cleak_operands $argv[1])
    test (count $operands) -gt 0; and not string match -qr -- '^[0-9]+$' $operands[1]
end

# Directories for a ':'-separated list: complete the entry after the last ':'.
function __cleak_complete_dir_list
    set -l token (commandline -ct)
    set -l head (string match -r -- '^.*:' $token)
    set -l tail (string replace -r -- '^.*:' '' $token)
    for dir in (__fish_complete_directories $tail)
        printf '%s%s\n' "$head" $dir
    end
end

# One `complete` per line of `cleak __complete options`, under condition
# $argv[1]; $argv[2] names the command (none: the options before it).
function __cleak_add_options
    set -l cond $argv[1]
    for line in (cleak __complete options $argv[2..-1] 2>/dev/null)
        # long, short, arg, value, repeat, conflicts, help
        set -l f (string split \t -- $line)
        set -l spec -c cleak -n $cond -l (string sub -s 3 -- $f[1])
        test $f[2] != -; and set -a spec -s (string sub -s 2 -- $f[2])
        if test $f[3] != -
            if test -n "$argv[2]"
                set -a __cleak_valued_$argv[2] $f[1]
                test $f[2] != -; and set -a __cleak_valued_$argv[2] $f[2]
            end
            switch $f[4]
                case file
                    set -a spec -r -F
                case dir
                    set -a spec -x -a '(__fish_complete_directories)'
                case dirs
                    set -a spec -x -a '(__cleak_complete_dir_list)'
                case 'one-of:*'
                    set -a spec -x -a (string replace -- one-of: '' $f[4])
                case '*'
                    set -a spec -x
            end
        end
        # Descriptions start with a capital letter in fish.
        complete $spec -d (string upper -- (string sub -l 1 -- $f[7]))(string sub -s 2 -- $f[7])
    end
end

# The commands, each with its options and operands.
function __cleak_add_commands
    __cleak_add_options __fish_use_subcommand
    for line in (cleak __complete commands 2>/dev/null)
        set -l f (string split -m 1 \t -- $line)
        set -l cond "__fish_seen_subcommand_from $f[1]"
        complete -c cleak -n __fish_use_subcommand -a $f[1] -d $f[2]
        set -g __cleak_valued_$f[1]
        __cleak_add_options $cond $f[1]
        set -l first "$cond; and __cleak_needs_first $f[1]"
        switch (cleak __complete operands $f[1] 2>/dev/null)
            case pid
                complete -c cleak -n $first -a '(__fish_complete_pids)'
            case pid-or-snapshots
                complete -c cleak -n $first -a '(__fish_complete_pids)'
                complete -c cleak -n $first -a '(__fish_complete_suffix .json)'
                complete -c cleak -n "$cond; and __cleak_needs_more_snapshots $f[1]" \
                    -a '(__fish_complete_suffix .json)'
        end
    end
end

# No file names unless an option asks for them.
complete -c cleak -f
__cleak_add_commands
