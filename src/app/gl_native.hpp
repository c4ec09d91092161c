// Desktop OpenGL 3.3 with the functions' prototypes (Mesa's and GLVND's libGL export them).
// renderer.cpp includes this natively, <GLES3/gl3.h> in the browser (see src/CMakeLists.txt).
#pragma once
#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>
