"""KV-cached incremental decoders over a live HF causal LM, used by `HFGenerator`'s sampling loop.

A decoder owns the KV cache of one micro-batch of rows and exposes four operations:

- `prefill(input_ids, attention_mask)`: run the (left-padded) prompts once, return last-position logits;
- `repeat(n)`: expand every row's cache to `n` consecutive rows (the prompt's n samples share one prefill);
- `select(rows)`: keep only `rows` (finished sequences leave the batch, so no work is wasted on them);
- `step(tokens)`: append one token per row, return the next logits.

Two implementations:

- `LlamaDecoder`: for Llama-family stacks (Llama, Qwen2, Qwen3: embed -> [RMSNorm, rotary GQA attention,
  RMSNorm, MLP] x L -> RMSNorm -> lm_head). `unsupported_features` allow-lists what it reproduces
  (exact module classes, full attention, static rotary over the whole head, no softcapping); a model
  with anything else (e.g. a sliding window) falls back rather than being decoded as another policy. It calls the model's own submodules
  (projections, norms, MLP, lm_head) and only replaces the per-step glue: a preallocated KV buffer
  written in place, a rotary table computed once, a boolean key mask kept incrementally, and grouped-query
  attention as one SDPA call. For small models (<= FUSE_MAX_BYTES of weights) each decode step also runs
  q/k/v as one matmul and gate/up as one, from weights concatenated when the decoder is made (once per
  micro-batch, so always the current weights). On CPU with small models this removes most of the
  per-call overhead of `model.forward` (mask building, cache concatenation, many tiny matmuls).
- `HFCacheDecoder`: any causal LM, through `model.forward` with a `DynamicCache`. The fallback.

A LoRA policy (a peft model, r1lit.lora) is decoded by `LlamaDecoder` on its base model, whose projections
are then peft's LoRA layers: calling them computes base + adapter exactly as `model.forward` does. It is
never fused (fused weights would be the base weights alone).

Both are checked against a full forward pass in tests/smoke/test_hf_generator.py.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Protocol

import torch
import torch.nn.functional as F

from r1lit.models import cache_keyword, returned_cache

if TYPE_CHECKING:
    from transformers import PreTrainedModel

# Architectures whose decoder layers match `LlamaDecoder`'s assumptions (checked again structurally).
LLAMA_FAMILY = ("llama", "qwen2", "qwen3")
# RoPE variants whose frequencies do not depend on the sequence length, so one table serves all positions.
STATIC_ROPE = ("default", "linear", "llama3", "yarn")
# The exact module classes `LlamaDecoder` reimplements the glue around. A subclass or another
# architecture may change the math (offset norms, softcapping, sliding windows...): it falls back.
MODEL_CLASSES = (
    "LlamaForCausalLM",
    "Qwen2ForCausalLM",
    "Qwen3ForCausalLM",
    "LlamaModel",
    "Qwen2Model",
    "Qwen3Model",
)
LAYER_CLASSES = ("LlamaDecoderLayer", "Qwen2DecoderLayer", "Qwen3DecoderLayer")
ATTENTION_CLASSES = ("LlamaAttention", "Qwen2Attention", "Qwen3Attention")
MLP_CLASSES = ("LlamaMLP", "Qwen2MLP", "Qwen3MLP")
# Config features `LlamaDecoder` does not implement (these classes ignore them today; a future version
# or remote code may not): any truthy value, e.g. a logit softcap, means fall back.
UNSUPPORTED_CONFIG = (
    "attn_logit_softcapping",
    "final_logit_softcapping",
    "attention_chunk_size",
    "no_rope_layers",
)


class Decoder(Protocol):
    """The incremental-decoding interface `HFGenerator` drives."""

    def prefill(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int
    ) -> torch.Tensor:
        """[B, Lp] left-padded ids and mask -> [B, V] logits at the last position."""
        ...

    def repeat(self, n: int) -> None:
        """Row b becomes rows b*n .. b*n+n-1."""
        ...

    def select(self, rows: torch.Tensor) -> None:
        """Keep only `rows` ([B'] long indices into the current rows), in that order."""
        ...

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """[B] next tokens -> [B, V] logits for the position after them."""
        ...


def _inner(model: PreTrainedModel) -> torch.nn.Module | None:
    return getattr(model, "model", None)


def _type_name(module: object) -> str:
    return type(module).__name__


def _rope_problems(config: object, inner: torch.nn.Module, head_dim: int) -> list[str]:
    """Rotary features `LlamaDecoder` does not reproduce: position-dependent scaling, partial rotary."""
    problems = []
    rope_type = getattr(inner.rotary_emb, "rope_type", None)
    if rope_type not in STATIC_ROPE:
        problems.append(f"rope_type={rope_type!r} (supported: {STATIC_ROPE})")
    rope = getattr(config, "rope_parameters", None) or {}
    partial = rope.get("partial_rotary_factor", getattr(config, "partial_rotary_factor", None))
    inv_freq = getattr(inner.rotary_emb, "inv_freq", None)
    # The table rotates every head dim (rotate_half over D): a partial rotary table would be shorter.
    if partial not in (None, 1, 1.0) or inv_freq is None or 2 * inv_freq.numel() != head_dim:
        problems.append(f"partial rotary (partial_rotary_factor={partial})")
    return problems


def _layer_problems(i: int, layer: torch.nn.Module) -> list[str]:
    """Layer i's departures from the exact Llama/Qwen2/Qwen3 classes `LlamaDecoder` drives."""
    attn, problems = getattr(layer, "self_attn", None), []
    names = {
        "layer": (_type_name(layer), LAYER_CLASSES),
        "attention": (_type_name(attn), ATTENTION_CLASSES),
        "mlp": (_type_name(getattr(layer, "mlp", None)), MLP_CLASSES),
    }
    norms = [getattr(layer, n, None) for n in ("input_layernorm", "post_attention_layernorm")]
    norms += [getattr(attn, n) for n in ("q_norm", "k_norm") if hasattr(attn, n)]
    names.update({f"norm {j}": (_type_name(n), RMS_NORMS) for j, n in enumerate(norms)})
    problems += [f"layer {i} {part} is {name}" for part, (name, ok) in names.items() if name not in ok]
    if getattr(attn, "sliding_window", None):
        problems.append(f"layer {i} uses a sliding window ({attn.sliding_window})")
    return problems


def unsupported_features(model: PreTrainedModel) -> list[str]:
    """What in `model` `LlamaDecoder` would not reproduce; empty when it matches `model.forward` exactly.

    An allow-list, not a deny-list: exact module classes (a subclass may change the math), every norm
    a plain RMSNorm, full attention on every layer, static rotary over the whole head, and none of
    `UNSUPPORTED_CONFIG`. Anything else falls back to `HFCacheDecoder` instead of silently decoding
    from another distribution.
    """
    config, inner = model.config, _inner(model)
    if getattr(config, "model_type", None) not in LLAMA_FAMILY:
        return [f"model_type={getattr(config, 'model_type', None)!r} (supported: {LLAMA_FAMILY})"]
    if inner is None or not all(hasattr(inner, a) for a in ("embed_tokens", "layers", "norm", "rotary_emb")):
        return ["no embed_tokens / layers / norm / rotary_emb under model.model"]
    if not hasattr(model, "lm_head"):
        return ["no lm_head"]
    problems = [f"{k}={getattr(config, k)!r}" for k in UNSUPPORTED_CONFIG if getattr(config, k, None)]
    problems += [
        f"{_type_name(m)} is not one of {MODEL_CLASSES}"
        for m in (model, inner)
        if _type_name(m) not in MODEL_CLASSES
    ]
    if type(model.lm_head) is not torch.nn.Linear or type(inner.embed_tokens) is not torch.nn.Embedding:
        problems.append("lm_head / embed_tokens are not plain Linear / Embedding")
    problems += [
        f"layer_types has {t!r}" for t in set(getattr(config, "layer_types", None) or ()) - {"full_attention"}
    ]
    if _type_name(inner.norm) not in RMS_NORMS:
        problems.append(f"final norm is {_type_name(inner.norm)}")
    for i, layer in enumerate(inner.layers):
        problems += _layer_problems(i, layer)
    if not problems:  # classes checked: the attention module has head_dim
        problems += _rope_problems(config, inner, inner.layers[0].self_attn.head_dim)
    return problems


def supports_llama_decoder(model: PreTrainedModel) -> bool:
    """Whether `LlamaDecoder` reproduces `model.forward` exactly (else use `HFCacheDecoder`)."""
    return not unsupported_features(model)


# RMSNorm classes computing weight * x / sqrt(mean(x^2) + eps) (no offset on the weight, unlike Gemma's).
RMS_NORMS = ("LlamaRMSNorm", "Qwen2RMSNorm", "Qwen3RMSNorm")
# Fusing copies the projection weights once per micro-batch: worth it only while that copy is cheap.
FUSE_MAX_BYTES = 256 * 2**20


def _should_fuse(model: PreTrainedModel) -> bool:
    """Fuse small models only, whose decode step is dominated by per-call overhead (e.g. the tiny model on CPU)."""
    return sum(p.numel() * p.element_size() for p in model.parameters()) <= FUSE_MAX_BYTES


def _cat_biases(projs: tuple[torch.nn.Module, ...]) -> tuple[bool, torch.Tensor | None]:
    """(ok, concatenated bias or None): not ok when only some of the projections have a bias."""
    biases = [p.bias for p in projs]
    if all(b is None for b in biases):
        return True, None
    return all(b is not None for b in biases), torch.cat([b for b in biases if b is not None])


def _fused_weights(layers: torch.nn.ModuleList) -> list[tuple[torch.Tensor | None, ...]] | None:
    """Per layer (W_qkv, b_qkv, W_gate_up, b_gate_up): one matmul instead of three, one instead of two.

    Built from the live weights when the decoder is made (once per micro-batch), so a policy updated
    between rollouts is always decoded with its current weights. None when a layer's MLP is not the
    gate/up/down shape (then `step` calls the modules).
    """
    fused = []
    for layer in layers:
        attn, mlp = layer.self_attn, layer.mlp
        if not all(hasattr(mlp, a) for a in ("gate_proj", "up_proj", "down_proj", "act_fn")):
            return None
        projs, gate_up = (attn.q_proj, attn.k_proj, attn.v_proj), (mlp.gate_proj, mlp.up_proj)
        (qkv_ok, b_qkv), (mlp_ok, b_gate_up) = _cat_biases(projs), _cat_biases(gate_up)
        if not (qkv_ok and mlp_ok):
            return None
        w_qkv = torch.cat([p.weight for p in projs])  # [(H + 2 Hkv) * D, E]
        w_gate_up = torch.cat([p.weight for p in gate_up])  # [2 I, E]
        fused.append((w_qkv, b_qkv, w_gate_up, b_gate_up))  # biases: Qwen2 q/k/v, Llama mlp_bias=True
    return fused


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaDecoder:
    """Fast incremental decoder for Llama-family models (see the module docstring)."""

    def __init__(self, model: PreTrainedModel, grow_by: int = 256, fuse: bool = True) -> None:
        self.model, self.inner = model, _inner(model)
        cfg = model.config
        self.n_heads = cfg.num_attention_heads
        self.n_kv = getattr(cfg, "num_key_value_heads", None) or self.n_heads
        self.head_dim = self.inner.layers[0].self_attn.head_dim
        self.grow_by = grow_by
        self.keys: list[torch.Tensor] = []  # per layer [B, Hkv, cap, D]
        self.values: list[torch.Tensor] = []
        self.key_bias = torch.empty(0)  # [B, cap] 0 for real keys, -inf for pads / unused columns
        self.positions = torch.empty(0)  # [B] position id of the next token
        self.length = 0  # cache columns in use (identical for all rows: padding is on the left)
        self.max_length = 0
        # Per-layer fused [q; k; v] and [gate; up] weights for `step` (see `_fused_weights`), or None.
        self.fused = _fused_weights(self.inner.layers) if fuse and _should_fuse(model) else None

    # --- cache bookkeeping -------------------------------------------------------------------------
    def _rope_table(self, n_positions: int, like: torch.Tensor) -> None:
        pos = torch.arange(n_positions, device=like.device)[None]  # [1, P]
        cos, sin = self.inner.rotary_emb(like, pos)  # [1, P, D] each
        self.cos, self.sin = cos[0], sin[0]  # [P, D]

    def _grow(self, needed: int) -> None:
        cap = self.keys[0].shape[2]
        if needed <= cap:
            return
        new_cap = min(max(needed, cap + self.grow_by, 2 * cap), self.max_length)
        extra = new_cap - cap
        self.keys = [F.pad(k, (0, 0, 0, extra)) for k in self.keys]
        self.values = [F.pad(v, (0, 0, 0, extra)) for v in self.values]
        self.key_bias = F.pad(self.key_bias, (0, extra), value=float("-inf"))

    def repeat(self, n: int) -> None:
        if n == 1:
            return
        self.keys = [k.repeat_interleave(n, dim=0) for k in self.keys]
        self.values = [v.repeat_interleave(n, dim=0) for v in self.values]
        self.key_bias = self.key_bias.repeat_interleave(n, dim=0)
        self.positions = self.positions.repeat_interleave(n, dim=0)

    def select(self, rows: torch.Tensor) -> None:
        self.keys = [k[rows] for k in self.keys]
        self.values = [v[rows] for v in self.values]
        self.key_bias = self.key_bias[rows]
        self.positions = self.positions[rows]

    # --- forward passes ----------------------------------------------------------------------------
    def _rotary(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        return x * cos + _rotate_half(x) * sin

    def _project_qkv(self, i: int, attn: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """[..., E] -> [..., (H + 2 Hkv) * D]: q, k, v side by side, one matmul when layer i is fused."""
        if self.fused is not None:
            return F.linear(x, self.fused[i][0], self.fused[i][1])
        return torch.cat([attn.q_proj(x), attn.k_proj(x), attn.v_proj(x)], dim=-1)

    def _heads(
        self, attn: torch.nn.Module, qkv: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """[B, T, (H + 2 Hkv) * D] -> q [B, H, T, D], k and v [B, Hkv, T, D]; `cos`, `sin` are [B, 1, T, D]."""
        B, T, _ = qkv.shape
        H, Hkv = self.n_heads, self.n_kv
        q, k, v = qkv.view(B, T, H + 2 * Hkv, self.head_dim).split((H, Hkv, Hkv), dim=2)
        if hasattr(attn, "q_norm"):  # Qwen3: RMSNorm over the head dim before rotary
            q, k = attn.q_norm(q), attn.k_norm(k)
        q = self._rotary(q.transpose(1, 2), cos, sin)
        return q, self._rotary(k.transpose(1, 2), cos, sin), v.transpose(1, 2)

    @staticmethod
    def _norm(norm: torch.nn.Module, h: torch.Tensor) -> torch.Tensor:
        """`norm(h)`; an fp32 RMSNorm as one fused op (the module's several elementwise ops, same math)."""
        eps = getattr(norm, "variance_epsilon", None)
        if eps is None or h.dtype != torch.float32 or type(norm).__name__ not in RMS_NORMS:
            return norm(h)
        return F.rms_norm(h, (h.shape[-1],), norm.weight, eps)

    def _mlp(self, i: int, mlp: torch.nn.Module, h: torch.Tensor) -> torch.Tensor:
        """`mlp(h)` = down(act(gate(h)) * up(h)), with layer i's fused [gate; up] matmul when there is one."""
        if self.fused is None:
            return mlp(h)
        gate, up = F.linear(h, self.fused[i][2], self.fused[i][3]).chunk(2, dim=-1)  # [B, 1, I] each
        return mlp.down_proj(mlp.act_fn(gate) * up)

    def _logits(self, h: torch.Tensor) -> torch.Tensor:
        return self.model.lm_head(self.inner.norm(h)).float()

    def prefill(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int
    ) -> torch.Tensor:
        B, L = input_ids.shape
        mask = attention_mask.bool()  # [B, L]
        pos = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)  # [B, L]
        self.max_length = L + max_new_tokens
        # Projections and MLPs run on the N real tokens only ([N, E]); only attention needs the padded
        # [B, L] layout. Pad positions never feed a real token (their keys are masked), so their hidden
        # states are not needed; their cache entries stay zero and masked.
        real = mask.reshape(-1).nonzero()[:, 0]  # [N] flat indices of real tokens
        h = self.inner.embed_tokens(input_ids.reshape(-1)[real])  # [N, E]
        self._rope_table(self.max_length, h)
        causal = torch.ones(L, L, dtype=torch.bool, device=h.device).tril()  # [L, L]
        # A pad query sees only itself: finite garbage instead of the NaN of an all-masked softmax row.
        eye = torch.eye(L, dtype=torch.bool, device=h.device)
        attn_mask = ((causal & mask[:, None, :]) | eye)[:, None]  # [B, 1, L, L]
        cap = min(L + min(max_new_tokens, self.grow_by), self.max_length)
        self.keys, self.values = [], []
        cos, sin = self.cos[pos][:, None], self.sin[pos][:, None]  # [B, 1, L, D]
        for i, layer in enumerate(self.inner.layers):
            attn = layer.self_attn
            qkv = self._project_qkv(i, attn, self._norm(layer.input_layernorm, h))  # [N, (H + 2 Hkv) * D]
            padded = qkv.new_zeros(B * L, qkv.shape[-1]).index_copy_(0, real, qkv)  # zeros at pad positions
            q, k, v = self._heads(attn, padded.view(B, L, -1), cos, sin)
            o = F.scaled_dot_product_attention(
                q, k, v, attn_mask=attn_mask, scale=attn.scaling, enable_gqa=self.n_kv != self.n_heads
            )  # [B, H, L, D]
            h = h + attn.o_proj(o.transpose(1, 2).reshape(B * L, -1)[real])  # [N, E]
            h = h + self._mlp(i, layer.mlp, self._norm(layer.post_attention_layernorm, h))
            self.keys.append(F.pad(k, (0, 0, 0, cap - L)))  # [B, Hkv, cap, D]
            self.values.append(F.pad(v, (0, 0, 0, cap - L)))
        # Additive key bias [B, cap]: 0 for real keys, -inf for pads and not-yet-written columns.
        self.key_bias = torch.full((B, cap), float("-inf"), dtype=h.dtype, device=h.device)
        self.key_bias[:, :L].masked_fill_(mask, 0.0)
        self.positions = pos[:, -1] + 1  # [B]
        self.length = L
        # Each row's last real token (left padding: the last of its run in the flat order).
        last = mask.sum(-1).cumsum(0) - 1  # [B]
        return self._logits(h[last.clamp(min=0)])

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        B, col = tokens.shape[0], self.length
        S, G, D = col + 1, self.n_heads // self.n_kv, self.head_dim
        self._grow(S)
        self.key_bias[:, col] = 0.0
        # [B*Hkv, G, S]: one query token, so the G query heads sharing a KV head act as its query rows.
        bias = self.key_bias[:, None, None, :S].expand(B, self.n_kv, G, S).reshape(B * self.n_kv, G, S)
        pos = self.positions[:, None]  # [B, 1]
        cos, sin = self.cos[pos][:, None], self.sin[pos][:, None]  # [B, 1, 1, D]
        h = self.inner.embed_tokens(tokens[:, None])  # [B, 1, E]
        for i, layer in enumerate(self.inner.layers):
            attn = layer.self_attn
            qkv = self._project_qkv(i, attn, self._norm(layer.input_layernorm, h))  # [B, 1, (H + 2 Hkv) * D]
            q, k, v = self._heads(attn, qkv, cos, sin)
            self.keys[i][:, :, col : col + 1] = k
            self.values[i][:, :, col : col + 1] = v
            keys = self.keys[i][:, :, :S].reshape(B * self.n_kv, S, D)  # a view: B and Hkv strides merge
            values = self.values[i][:, :, :S].reshape(B * self.n_kv, S, D)
            # Explicit attention: for a single query row this beats SDPA's CPU kernels several times over.
            scores = torch.baddbmm(
                bias, q.reshape(B * self.n_kv, G, D), keys.transpose(1, 2), alpha=attn.scaling
            )
            o = torch.bmm(scores.float().softmax(-1).to(values.dtype), values)  # [B*Hkv, G, D]
            h = h + attn.o_proj(o.reshape(B, 1, -1))
            h = h + self._mlp(i, layer.mlp, self._norm(layer.post_attention_layernorm, h))
        self.length = S
        self.positions = self.positions + 1
        return self._logits(h[:, 0])


class HFCacheDecoder:
    """Any causal LM through `model.forward` and a `DynamicCache` (slower per step, fully general)."""

    def __init__(self, model: PreTrainedModel) -> None:
        self.model = model
        params = inspect.signature(model.forward).parameters
        self._keep_kw = {"logits_to_keep": 1} if "logits_to_keep" in params else {}
        self._cache_kw = cache_keyword(model)
        self.cache = None
        self.mask = torch.empty(0)  # [B, S] attention mask over prompt + generated tokens
        self.positions = torch.empty(0)  # [B]

    def _forward(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        out = self.model(
            input_ids=ids,
            attention_mask=self.mask,
            position_ids=pos,
            use_cache=True,
            **{self._cache_kw: self.cache},
            **self._keep_kw,
        )
        self.cache = returned_cache(out)
        return out.logits[:, -1].float()  # [B, V]

    def prefill(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, max_new_tokens: int
    ) -> torch.Tensor:
        from transformers import DynamicCache

        self.cache = DynamicCache(config=self.model.config)
        self.mask = attention_mask.long()
        pos = (self.mask.cumsum(-1) - 1).clamp(min=0)  # [B, L]
        self.positions = pos[:, -1] + 1
        return self._forward(input_ids, pos)

    def repeat(self, n: int) -> None:
        if n > 1:
            self.cache.batch_repeat_interleave(n)
            self.mask = self.mask.repeat_interleave(n, dim=0)
            self.positions = self.positions.repeat_interleave(n, dim=0)

    def select(self, rows: torch.Tensor) -> None:
        self.cache.batch_select_indices(rows)
        self.mask, self.positions = self.mask[rows], self.positions[rows]

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        self.mask = torch.cat([self.mask, self.mask.new_ones(tokens.shape[0], 1)], dim=1)
        logits = self._forward(tokens[:, None], self.positions[:, None])
        self.positions = self.positions + 1
        return logits


def make_decoder(model: PreTrainedModel, kind: str = "auto") -> Decoder:
    """`kind`: "auto" (fast path when supported), "llama" (fast path, error if unsupported) or "hf"."""
    lora = hasattr(model, "peft_config") and hasattr(model, "get_base_model")  # r1lit.lora.is_lora
    stack = model.get_base_model() if lora else model  # LoRA layers inside: called, never fused
    if kind == "hf" or (kind == "auto" and not supports_llama_decoder(stack)):
        return HFCacheDecoder(model)
    if kind in ("auto", "llama"):
        problems = unsupported_features(stack)
        if problems:
            raise ValueError(f"decoder='llama' cannot decode this model exactly: {'; '.join(problems)}")
        return LlamaDecoder(stack, fuse=not lora)
    raise ValueError(f"unknown decoder kind {kind!r}; expected 'auto', 'llama' or 'hf'")
