# Writes the shaders in SHADER_DIR into the header OUT as string constants:
# shaders/marks.vert becomes cfdm::app::shaders::kMarksVert.
# Run as: cmake -DSHADER_DIR=... -DOUT=... -P embed_shaders.cmake
file(GLOB shader_files "${SHADER_DIR}/*.vert" "${SHADER_DIR}/*.frag")
list(SORT shader_files)
set(text "// Generated from ${SHADER_DIR} by embed_shaders.cmake: edit the shaders, not this file.\n")
string(APPEND text "#pragma once\n\nnamespace cfdm::app::shaders {\n")
foreach(file IN LISTS shader_files)
  get_filename_component(name "${file}" NAME_WE)
  get_filename_component(ext "${file}" EXT)
  string(SUBSTRING "${ext}" 1 -1 ext)
  # marks + vert -> kMarksVert
  set(symbol "k")
  foreach(part IN ITEMS ${name} ${ext})
    string(SUBSTRING "${part}" 0 1 head)
    string(SUBSTRING "${part}" 1 -1 tail)
    string(TOUPPER "${head}" head)
    string(APPEND symbol "${head}${tail}")
  endforeach()
  file(READ "${file}" source)
  string(APPEND text "\ninline constexpr const char* ${symbol} = R\"glsl(${source})glsl\";\n")
endforeach()
string(APPEND text "\n}  // namespace cfdm::app::shaders\n")
# Rewrite only on change, so a rebuild does not recompile the renderer for nothing.
include("${CMAKE_CURRENT_LIST_DIR}/../write_if_changed.cmake")
write_if_changed("${OUT}" "${text}")
