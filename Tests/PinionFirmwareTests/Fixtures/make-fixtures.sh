#!/usr/bin/env bash
# Makes the firmware-image fixtures with independent tools, so Pinion's readers are checked
# against what the real tools write, not against Pinion's own idea of the formats.
#
# Tools (Debian 12 / PyPI):
#   apt-get install -y dfu-util fwupd openssl python3     # dfu-suffix, dfuse-pack, fwupdtool
#   pip install imgtool==2.5.0                            # MCUboot's signing tool
#
# Run from anywhere: bash Tests/PinionFirmwareTests/Fixtures/make-fixtures.sh
# Everything is deterministic: payloads come from a fixed generator, keys from fixed seeds, and
# Ed25519 signatures are deterministic (RFC 8032). Running it twice gives the same bytes, and a
# test checks the committed files against the values written into the tests.
#
# The last step signs with Pinion's own FirmwareSigner (through a test that runs only when
# PINION_EXPORT_FIXTURES is set) and checks that output with `imgtool verify`; the result is
# committed as pinion-signed.img, which the Swift tests verify as well. Skip that step (for
# instance where Swift is not installed) with SKIP_PINION=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
cd "$here"

for tool in dfu-suffix dfuse-pack fwupdtool imgtool openssl python3; do
    command -v "$tool" >/dev/null || { echo "make-fixtures: $tool not found (see the header of this script)" >&2; exit 1; }
done
imgtool_version="$(imgtool version)"
[ "$imgtool_version" = "2.5.0" ] || echo "make-fixtures: warning: imgtool $imgtool_version, fixtures were made with 2.5.0" >&2

# Deterministic payloads: a 32-bit LCG, so the bytes are not all alike and not compressible.
payload() { # size seed file
    python3 - "$1" "$2" "$3" <<'EOF'
import sys
size, seed, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
x, out = seed, bytearray()
while len(out) < size:
    x = (1664525 * x + 1013904223) & 0xFFFFFFFF
    out.append(x >> 24)
open(path, "wb").write(bytes(out))
EOF
}
payload 4096 1 raw.bin
payload 1024 2 small.bin
payload 512 3 second.bin

# --- DFU suffix (dfu-suffix from dfu-util) ---
cp raw.bin with-suffix.bin
dfu-suffix -v 1209 -p 0003 -d 0x0100 -a with-suffix.bin >/dev/null
cp small.bin any-suffix.bin                 # no ids given: dfu-suffix writes 0xffff ("any")
dfu-suffix -a any-suffix.bin >/dev/null

# --- DfuSe (dfuse-pack from dfu-util writes DFUImageSize including the suffix) ---
# Two elements for alternate setting 0, one for alternate setting 1: two Target records.
dfuse-pack -b 0x08000000:raw.bin -b 0x08010000:second.bin -b 0x1FFF7800@1:small.bin \
    -D 0x0483:0xdf11 dfuse.dfu >/dev/null
# fwupd writes DFUImageSize excluding the suffix (and rejects dfuse-pack's files): the same
# elements built by fwupdtool, with target names and bcdDevice 0xffff.
builder="$(mktemp)"
cat > "$builder" <<XML
<firmware gtype="FuDfuseFirmware">
  <vendor>0x0483</vendor>
  <product>0xdf11</product>
  <firmware>
    <idx>0x0</idx>
    <id>Internal Flash</id>
    <chunks>
      <chunk><addr>0x08000000</addr><data>$(base64 -w0 raw.bin)</data></chunk>
      <chunk><addr>0x08010000</addr><data>$(base64 -w0 second.bin)</data></chunk>
    </chunks>
  </firmware>
  <firmware>
    <idx>0x1</idx>
    <id>Option Bytes</id>
    <chunks>
      <chunk><addr>0x1FFF7800</addr><data>$(base64 -w0 small.bin)</data></chunk>
    </chunks>
  </firmware>
</firmware>
XML
fwupdtool firmware-build "$builder" dfuse-fwupd.dfu >/dev/null 2>&1
rm -f "$builder"
parsed="$(fwupdtool firmware-parse dfuse-fwupd.dfu dfuse 2>/dev/null || true)"
[[ "$parsed" == *"<id>Option Bytes</id>"* ]] || { echo "make-fixtures: fwupdtool cannot read back dfuse-fwupd.dfu" >&2; exit 1; }

# --- Keys. TEST KEYS ONLY: their private halves are public in this repository. ---
# An Ed25519 PKCS#8 key is a fixed 16-byte DER prefix followed by the 32-byte seed.
key_from_seed() { # seed-byte file
    local seed
    seed="$(printf "%02x" "$1")"
    seed="$(printf "${seed}%.0s" $(seq 32))"
    printf "302e020100300506032b657004220420%s" "$seed" | xxd -r -p \
        | openssl pkey -inform DER -outform PEM -out "$2"
}
key_from_seed 0x11 test-ed25519.pem
key_from_seed 0x22 other-ed25519.pem
imgtool getpub -k test-ed25519.pem --encoding pem > test-ed25519.pub.pem
imgtool getpub -k other-ed25519.pem --encoding pem > other-ed25519.pub.pem
# Raw 32-byte public key as hex: the second trust-store format.
openssl pkey -in test-ed25519.pem -pubout -outform DER | tail -c 32 | xxd -p -c 64 > test-ed25519.pub.hex

# --- MCUboot images (imgtool 2.5.0) ---
sign() { # out key-or-"" version counter payload [extra imgtool args...]
    local out="$1" key="$2" version="$3" counter="$4" input="$5"
    shift 5
    local keyargs=()
    [ -n "$key" ] && keyargs=(--key "$key")
    imgtool sign "${keyargs[@]}" --version "$version" --security-counter "$counter" \
        --header-size 0x200 --pad-header --align 4 --slot-size 0x10000 "$@" "$input" "$out" >/dev/null
}
sign signed.img test-ed25519.pem 1.2.3+4 5 raw.bin
sign signed-v1.1.0-sc5.img test-ed25519.pem 1.1.0 5 small.bin      # older version, same counter
sign signed-v1.3.0-sc3.img test-ed25519.pem 1.3.0 3 small.bin      # newer version, lower counter
sign signed-other-key.img other-ed25519.pem 1.2.3+4 5 small.bin    # signed by a key not trusted
sign unsigned.img "" 1.2.3 5 small.bin                             # hash TLV only, no signature
sign signed-full-key.img test-ed25519.pem 2.0.0 6 small.bin --public-key-format full
sign signed-pure.img test-ed25519.pem 2.0.1 6 small.bin --pure      # signature over the image itself
imgtool sign --key test-ed25519.pem --version 0.9.0 --header-size 0x20 --pad-header --align 4 \
    --slot-size 0x10000 small.bin no-counter.img >/dev/null         # no protected TLVs, 32-byte header
cp signed.img signed-suffix.img                                    # MCUboot image inside a DFU suffix
dfu-suffix -v 1209 -p 0003 -a signed-suffix.img >/dev/null

verifies() { # key image: imgtool's own verdict (read whole, so no SIGPIPE under pipefail)
    local said
    said="$(imgtool verify -k "$1" "$2" 2>&1 || true)"
    [[ "$said" == *"Image was correctly validated"* ]]
}
for img in signed.img signed-v1.1.0-sc5.img signed-v1.3.0-sc3.img signed-full-key.img signed-pure.img no-counter.img; do
    verifies test-ed25519.pem "$img" || { echo "make-fixtures: imgtool does not verify $img" >&2; exit 1; }
done

# --- Pinion's own signer, checked by imgtool ---
if [ "${SKIP_PINION:-0}" != 1 ]; then
    out="$(mktemp -d)"
    if ! (cd "$repo" && PINION_EXPORT_FIXTURES="$out" swift test --scratch-path "${PINION_SCRATCH:-.build-images}" \
        --filter "PinionFirmwareTests.FixtureExport") > "$out/swift-test.log" 2>&1; then
        cat "$out/swift-test.log" >&2
        echo "make-fixtures: the FixtureExport test failed" >&2
        exit 1
    fi
    [ -s "$out/pinion-signed.img" ] || { echo "make-fixtures: Pinion's signer wrote nothing" >&2; exit 1; }
    verifies test-ed25519.pem "$out/pinion-signed.img" || { echo "make-fixtures: imgtool rejects Pinion's signed image" >&2; exit 1; }
    imgtool dumpinfo "$out/pinion-signed.img" >/dev/null
    # A key generated by Pinion: private (0600) and readable by imgtool, same public key.
    [ "$(stat -c %a "$out/generated-ed25519.pem")" = 600 ] || { echo "make-fixtures: generated key is not mode 0600" >&2; exit 1; }
    [ "$(imgtool getpub -k "$out/generated-ed25519.pem" --encoding pem)" = "$(cat "$out/generated-ed25519.pub.pem")" ] \
        || { echo "make-fixtures: imgtool reads another public key from Pinion's generated key" >&2; exit 1; }
    imgtool sign --key "$out/generated-ed25519.pem" --version 1.0.0 --header-size 0x200 --pad-header --align 4 \
        --slot-size 0x10000 small.bin "$out/generated.img" >/dev/null
    verifies "$out/generated-ed25519.pub.pem" "$out/generated.img" \
        || { echo "make-fixtures: imgtool cannot sign with Pinion's generated key" >&2; exit 1; }
    cp "$out/pinion-signed.img" pinion-signed.img
    rm -rf "$out"
fi

rm -f small.bin.target*
sha256sum *.bin *.dfu *.img *.pem *.hex > SHA256SUMS
echo "make-fixtures: done ($(du -cb *.bin *.dfu *.img *.pem *.hex | tail -1 | cut -f1) bytes)"
