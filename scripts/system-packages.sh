#!/bin/sh
# Installs the Debian packages the project needs when they are missing:
# chromium (browser tests, never a downloaded browser) and a Japanese font (rich-menu images);
# for the counter (書かない窓口): tesseract with its Japanese model (OCR on the CPU, no network) and
# IPAmj明朝 / IPA fonts (the 届書 PDF, the OCR test documents), KANJIDIC2 (単漢字検索).
set -e
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$missing fonts-noto-cjk"
command -v tesseract >/dev/null 2>&1 || missing="$missing tesseract-ocr"
[ -f /usr/share/tesseract-ocr/5/tessdata/jpn.traineddata ] || [ -f /usr/share/tesseract-ocr/4.00/tessdata/jpn.traineddata ] \
  || missing="$missing tesseract-ocr-jpn"
[ -f /usr/share/fonts/truetype/ipamj/ipamjm.ttf ] || missing="$missing fonts-ipamj-mincho"
[ -f /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || missing="$missing fonts-ipafont-gothic fonts-ipafont-mincho"
[ -f /usr/share/edict/kanjidic2.xml.gz ] || missing="$missing kanjidic-xml"  # 単漢字検索 at the counter
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "please install:$missing (Debian/Ubuntu package names)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
echo "installing system packages:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
