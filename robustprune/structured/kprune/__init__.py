"""K-prune: retraining-free structured pruning of attention heads and FFN neurons.

Park, Choi & Kang, "Accurate Retraining-free Pruning for Pretrained Encoder-based
Language Models", ICLR 2024. Follows ``shared/design/kprune.md``.
The steps, one module each: ``config`` (what determines a run, the sub-layers), ``sample``
(the sample data and its soft labels), ``knowledge`` (Eqs. 1-4), ``tuning`` (Eq. 6) and
``process`` (the mask search, Eq. 5, and the bottom-up loop).

An encoder of L layers has 2L sub-layers, processed bottom-up: 2i is layer i's MHA
(units: heads), 2i+1 its FFN (units: neurons). A mask m (ones) multiplies the input of
each sub-layer's output projection — the concatenated head outputs (d_h dimensions per
head) or the neuron activations. For each target sub-layer, on the model pruned so far:

Knowledge measurement, for every unit not yet decided (the target and everything above).
With p = softmax(z/T) the uncompressed model's soft labels (recorded once) and q the
current model's,

    ℓ = T² · KL(p ‖ q)                                    per batch, batch-mean      (1)
    K_pred(u) = (1/N) Σ_batches ½ (∂ℓ/∂m_u)²              N samples                  (2)
    K_rep(u)  = (1/n) Σ_tokens x_u² · mean_j W_out[j,u]²  n tokens, padding excluded (3)
    s_u = (λ_rep K_rep(u) + λ_pred K_pred(u)) / f_u,  × μ for heads                  (4)

(2) is the second-order Taylor term of ℓ when m_u goes from 1 to 0, its Hessian taken as
the outer product of gradients (Fisher); (3) is the energy unit u adds to the output
projection's output, ‖x_u‖² times its column's mean squared weight. For a head, (2) and
(3) are the means over its d_h mask entries. f_u is the unit's FLOPs (``flops.py``), so
s_u is knowledge per FLOP. Note that at the uncompressed model q = p, so ∂ℓ/∂m = 0:
until the first unit is pruned, units are ranked by representational knowledge alone
(in the reference too).

Knowledge-preserving mask search. Pool the scores of all undecided units and take

    τ* = min { τ : Σ_{pooled u, s_u > τ} f_u ≤ B }                                     (5)

with B the FLOPs still available; prune the target's units with s_u ≤ τ*, then
B ← B − Σ_{kept target units} f_u. B starts at (1 − c) × the model's FLOPs, and every
step keeps within it, so the pruned model meets the budget exactly.

Knowledge-preserving weight tuning. The kept units' output-projection columns W are
re-fitted so that the pruned model's sub-layer output matches the uncompressed one's:
with X the kept units' activations and r the residual input in the *pruned* model, b the
bias and Y the uncompressed sub-layer output before its LayerNorm (output + residual),

    min_W ‖X Wᵀ − (Y − r − b)‖²   ⇔   (XᵀX) Wᵀ = Xᵀ(Y − r − b)                         (6)

Inputs from the pruned model, target from the dense one: error accumulated in the
sub-layers below is corrected here (as in knowledge-retention pruning, ``krp.md``).

Deviations from the reference implementation, each for a stated reason:
- (5) includes τ = −∞ and uses ≤: the reference starts at the smallest score and tests
  "< B", so it always prunes at least the lowest unit, even when c = 0.
- (6) takes, of all minimisers, the one closest to the current W (pseudo-inverse of
  XᵀX applied to the residual of the current W, in float64); the reference's lstsq
  returns some minimiser, which differs only when XᵀX is singular. While no unit has been
  removed the model is still the dense one and W is already exact, so (6) is skipped
  there rather than fitted to float rounding noise.
- 4,096 sample tokens by default instead of 100,000, for CPU run times (see
  ``KPruneConfig.sample_tokens``).
- The sample is batched shortest text first, to spend little compute on padding. The
  squared gradient of (2) is taken per batch (as in the reference), so which samples
  share a batch matters a little; the reference batches in data-loader order.

As in the reference, only the target and the sub-layers above it carry masks; the
layers below are already pruned and are run forward without gradients.
"""

from robustprune.structured.kprune.config import SUBLAYER_KINDS, KPruneConfig, Sublayer, all_sublayers  # noqa: F401
from robustprune.structured.kprune.knowledge import KnowledgeMeter, knowledge_scores  # noqa: F401
from robustprune.structured.kprune.process import KPrune, kprune, search_mask  # noqa: F401
from robustprune.structured.kprune.sample import Sample, prepare_sample  # noqa: F401
from robustprune.structured.kprune.tuning import LeastSquaresTuner, tuning_statistics  # noqa: F401
