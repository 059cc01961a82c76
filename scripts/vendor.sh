#!/usr/bin/env bash
# vendor/ is generated: each crate there is a published crate plus one patch in vendor/patches/.
# The patches are the source of truth; the copies exist because `[patch.crates-io]` needs a path.
#
#   scripts/vendor.sh check        vendor/ is exactly "published crate + patch" (no network, seconds)
#   scripts/vendor.sh regenerate   rebuild vendor/ from the published crates and the patches
#   scripts/vendor.sh record NAME  rewrite vendor/patches/NAME.patch from edits made in vendor/
#                                  (NAME as in the patch's file name, e.g. bevy_reflect-0.19.1)
#
# The published crate comes from Cargo's registry (~/.cargo/registry/src); when it is missing there
# (Cargo never fetches a crate it patches), `regenerate` and `record` ask `cargo fetch` for it.
# `check` needs no published source at all: it undoes the patch on a copy of vendor/ and compares
# the result with the published files' hashes, kept beside the patch (NAME.sha256).
#
# `regenerate` writes only files whose content changed: Cargo rebuilds a path crate, and all of Bevy
# above it, when a file's mtime moves (see scripts/env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
patches=vendor/patches

# Files Cargo adds to an unpacked crate that are not part of the crate's source.
not_source=(.cargo-ok .cargo_vcs_info.json Cargo.lock Cargo.toml.orig)

die() { echo "vendor.sh: $*" >&2; exit 1; }

# NAME (crate-version) -> crate name, the folder under vendor/.
crate_of() { echo "${1%-*}"; }
version_of() { echo "${1##*-}"; }

# Every file under a folder with its sha256, in a stable order (paths relative to the folder).
hashes() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }

# The text of a patch file before its first hunk header: what it changes, why, when it can go.
notes_of() { sed -n '/^--- /q;p' "$1"; }

# The published crate's source, fetched through Cargo when the registry does not have it yet.
published() {
    local name=$1 crate version dir
    crate=$(crate_of "$name")
    version=$(version_of "$name")
    dir=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name" 2>/dev/null | head -n1 || true)
    if [ -z "$dir" ]; then
        local scratch
        scratch=$(mktemp -d)
        mkdir "$scratch/src"
        : >"$scratch/src/lib.rs"
        printf '[package]\nname = "fetch-%s"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = { version = "=%s", default-features = false }\n' \
            "$crate" "$crate" "$version" >"$scratch/Cargo.toml"
        (cd "$scratch" && cargo fetch --quiet) >&2 || die "cargo fetch could not get $name"
        rm -rf "$scratch"
        dir=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name" 2>/dev/null | head -n1 || true)
        [ -n "$dir" ] || die "$name is not in Cargo's registry after cargo fetch"
    fi
    echo "$dir"
}

# A copy of the published crate without Cargo's own files, into a new folder.
pristine_copy() {
    local src=$1 dst=$2 f
    cp -a "$src" "$dst"
    for f in "${not_source[@]}"; do rm -f "$dst/$f"; done
}

# Make folder $2 hold exactly the files of folder $1, writing only files whose content differs.
sync_into() {
    local from=$1 to=$2 f
    mkdir -p "$to"
    (cd "$from" && find . -type f) | while read -r f; do
        if ! cmp -s "$from/$f" "$to/$f"; then
            mkdir -p "$(dirname "$to/$f")"
            cp "$from/$f" "$to/$f"
            echo "  wrote ${to}/${f#./}"
        fi
    done
    (cd "$to" && find . -type f) | while read -r f; do
        if [ ! -e "$from/$f" ]; then
            rm "$to/$f"
            echo "  removed ${to}/${f#./}"
        fi
    done
    find "$to" -mindepth 1 -type d -empty -delete
}

# Applies patch $1 to folder $2 exactly (no fuzz), with git's `apply` (git is there wherever the
# repository is; `patch` is not always). The folder is outside the repository, so git treats it
# as plain files. Extra arguments go to `git apply` (--reverse).
apply() {
    local patch_file
    patch_file=$(realpath "$1")
    (cd "$2" && git apply -p1 "${@:3}" "$patch_file") 2>/dev/null
}

# Write a file only when its content changes.
write_if_changed() {
    local new=$1 target=$2
    if ! cmp -s "$new" "$target"; then cp "$new" "$target"; echo "  wrote $target"; fi
}

check() {
    local work status=0 p name crate
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    for p in "$patches"/*.patch; do
        name=$(basename "$p" .patch)
        crate=$(crate_of "$name")
        [ -d "vendor/$crate" ] || { echo "vendor/$crate is missing (scripts/vendor.sh regenerate)"; status=1; continue; }
        [ -f "$patches/$name.sha256" ] || { echo "$patches/$name.sha256 is missing"; status=1; continue; }
        cp -a "vendor/$crate" "$work/$crate"
        if ! apply "$p" "$work/$crate" --reverse; then
            echo "vendor/$crate: $p does not undo cleanly: the copy was edited without 'scripts/vendor.sh record $name'"
            status=1
            continue
        fi
        if ! diff -u "$patches/$name.sha256" <(hashes "$work/$crate") >"$work/$crate.diff"; then
            echo "vendor/$crate is not $name plus $p; files that differ (-published +copy):"
            grep '^[-+][0-9a-f]' "$work/$crate.diff" | sed 's/^/  /'
            status=1
        fi
    done
    # A folder under vendor/ that no patch accounts for is an untracked edit of a published crate.
    for d in vendor/*/; do
        crate=$(basename "$d")
        [ "$crate" = patches ] && continue
        compgen -G "$patches/$crate-*.patch" >/dev/null || { echo "vendor/$crate has no patch in $patches"; status=1; }
    done
    [ "$status" -eq 0 ] && echo "vendor/ matches the published crates plus vendor/patches/"
    return "$status"
}

regenerate() {
    local work p name crate src
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    for p in "$patches"/*.patch; do
        name=$(basename "$p" .patch)
        crate=$(crate_of "$name")
        src=$(published "$name")
        echo "$name: $src + $p"
        pristine_copy "$src" "$work/$crate"
        hashes "$work/$crate" >"$work/$name.sha256"
        write_if_changed "$work/$name.sha256" "$patches/$name.sha256"
        apply "$p" "$work/$crate" || die "$p does not apply to $name"
        sync_into "$work/$crate" "vendor/$crate"
    done
}

record() {
    local name=${1:?usage: vendor.sh record NAME, e.g. bevy_reflect-0.19.1}
    local crate work src p=$patches/$name.patch
    crate=$(crate_of "$name")
    [ -d "vendor/$crate" ] || die "vendor/$crate does not exist"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    src=$(published "$name")
    pristine_copy "$src" "$work/a"
    cp -a "vendor/$crate" "$work/b"
    { [ -f "$p" ] && notes_of "$p"
        # diff's timestamps would change the patch on every run; the paths are enough.
        (cd "$work" && diff -ruN a b || true) | grep -v '^diff -ruN ' \
            | sed -E 's/^((---|\+\+\+) [^\t]*)\t.*/\1/'
    } >"$work/new.patch"
    write_if_changed "$work/new.patch" "$p"
    hashes "$work/a" >"$work/$name.sha256"
    write_if_changed "$work/$name.sha256" "$patches/$name.sha256"
}

case ${1:-check} in
    check) check ;;
    regenerate) regenerate ;;
    record) record "${2:-}" ;;
    *) die "unknown command '$1' (check, regenerate or record NAME)" ;;
esac
