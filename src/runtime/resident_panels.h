// Packs a loaded model's q4_0, q4_1, q8_0, q4_K and q6_K weight matrices into resident panels
// (kernels/panel.h) once, at load: generation then multiplies 16 rows per instruction instead of
// one row per horizontal sum, and batches skip the packing they would do per call.
//
// The panels take as many bytes as the file's rows (binary16 scales, 4-bit quants as nibbles),
// q4_K's 3 % more (its 6-bit sub-block scales as bytes).
// They live in one PageBuffer (huge pages), and the file pages they were packed from are dropped
// from resident memory as packing goes, so the process holds the weights once and load peaks at
// about one slice above that. Matrices of other types keep reading the mapping.
#pragma once

#include "arch/model.h"
#include "base/page_buffer.h"
#include "formats/gguf.h"
#include "slm/status.h"

namespace slm {

// Sets `panels` of every matrix of w that has a resident format (the token embedding included,
// whose lookups then read the panels; a tied one shares the LM head's) and returns the buffer they
// point into, to keep as long as w. Packs nothing (an empty buffer) when the kernel table has no
// panel product or SLM_PANELS=0.
Expected<PageBuffer> pack_resident_panels(ModelWeights& w, const GgufFile& file);

}  // namespace slm
