// Deterministic elementary functions in double precision.
//
// libm implementations differ in their last bits between glibc (native) and musl (Emscripten),
// so anything that must give the same bits on every build (the normal transform, the toy
// generators) uses these instead. They use only +, -, *, / and sqrt, which IEEE 754 rounds
// correctly everywhere; the file is compiled with -ffp-contract=off so no FMA changes the bits.
#pragma once

namespace cfdm::detmath {

double log(double x);  // x > 0; accurate to a few ulp
double sin(double x);  // |x| < 1e6; accurate to a few ulp
double cos(double x);
double exp(double x);  // x in [-700, 700]

}  // namespace cfdm::detmath
