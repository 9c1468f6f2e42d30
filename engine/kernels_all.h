// Every kernel header, both backends, for the op implementations.
#pragma once

#include "kernels/cpu/activations.h"
#include "kernels/cpu/conv2d.h"
#include "kernels/cpu/conv_transpose2d.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/losses.h"
#include "kernels/cpu/perceptual.h"
#include "kernels/cpu/pooling.h"
#include "kernels/cpu/reductions.h"
#include "kernels/cpu/sgd.h"

#if DAE_WITH_CUDA
#include "kernels/cuda/activations.h"
#include "kernels/cuda/conv2d.h"
#include "kernels/cuda/conv_transpose2d.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/losses.h"
#include "kernels/cuda/perceptual.h"
#include "kernels/cuda/pooling.h"
#include "kernels/cuda/reductions.h"
#include "kernels/cuda/sgd.h"
#endif
