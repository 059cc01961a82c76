#!/usr/bin/env bash
# Regenerates assets/fonts/: egui's two default fonts (Ubuntu Light for text, Hack for numbers
# and code) cut down to the characters the game shows, for the web build, which bundles these
# instead of egui's default fonts with their emoji fonts (about 1.4 MB raw). Glyphs, metrics,
# hinting and kerning of the kept characters are unchanged, so text looks the same.
# Needs fontTools (`pip install fonttools`); run it after the game starts showing new characters.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/epaint_default_fonts-0.36.*/fonts | tail -1)
# Printable ASCII, Latin-1, dashes, quotes, bullet, ellipsis, arrows, minus, check mark, and
# egui's replacement character.
unicodes="U+0020-007E,U+00A0-00FF,U+2013-2014,U+2018-201D,U+2022,U+2026,U+2190-2193,U+2212,U+2714,U+25FB"
for font in Ubuntu-Light Hack-Regular; do
  pyftsubset "$src/$font.ttf" --unicodes="$unicodes" --layout-features='*' \
    --output-file="assets/fonts/$font-subset.ttf"
done
cp "$src/UFL.txt" assets/fonts/Ubuntu-Light-LICENSE.txt
cp "$src/Hack-Regular.txt" assets/fonts/Hack-Regular-LICENSE.txt
ls -l assets/fonts/
