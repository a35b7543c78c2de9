# Shared by the scripts that compile files into the binary (src/images/embed_files.cmake,
# src/web/embed_assets.cmake), which CMake runs with -P.

# Sets ${out_array} to a C array definition `const unsigned char NAME[] = {0x.., ..., 0};`
# holding the bytes of FILE (a trailing 0 so that an empty file still compiles), and
# ${out_size} to its length in bytes. Also sets ${out_hex} to the file as hex, for digests.
function(yard_embed_bytes file name out_array out_size out_hex)
  file(READ ${file} hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
                       "\\1\n    " bytes "${bytes}")
  set(${out_array} "const unsigned char ${name}[] = {\n    ${bytes}0};\n" PARENT_SCOPE)
  set(${out_size} ${size} PARENT_SCOPE)
  set(${out_hex} "${hex}" PARENT_SCOPE)
endfunction()
