#!/usr/bin/env python3
"""Train a tiny GPT on a packed folder (`ptk pack` output) in plain PyTorch: a smoke test that the shards,
their masks and boundaries are usable for training, not a model worth keeping.

    python python/train_tiny_gpt.py --data OUT --steps 100 --batch-size 8

Attention follows the manifest: "document" is block-diagonal causal (a token attends earlier tokens of its own
segment), "causal" is plain causal. Backends (--attention auto picks the first that applies):
  flash  flash_attn_varlen_func on the flattened batch with cu_seqlens (CUDA and flash-attn installed)
  flex   torch's flex_attention with a document mask_mod (CUDA: it has no backward on CPU)
  sdpa   scaled_dot_product_attention with the boolean [B, 1, L, L] mask (anywhere)
Positions are RoPE with the dataset's position_ids (restarting per segment), or learned (--positions learned).
Prints one line per --log-every steps and, last, one JSON line:
{"first_loss": ..., "last_loss": ..., "steps": ..., "tokens_per_s": ..., ...}.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptk_data import IGNORE_INDEX, PackedDataset, collate_sdpa, collate_varlen  # noqa: E402


def flash_varlen():
    try:
        from flash_attn import flash_attn_varlen_func
        return flash_attn_varlen_func
    except ImportError:
        return None


def flex_functions():
    try:
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        return flex_attention, create_block_mask
    except ImportError:
        return None


def choose_attention(requested, device):
    if requested != "auto":
        if requested == "flash" and (device.type != "cuda" or flash_varlen() is None):
            raise SystemExit("--attention flash needs CUDA and the flash-attn package")
        if requested == "flex" and flex_functions() is None:
            raise SystemExit("--attention flex needs torch.nn.attention.flex_attention (torch 2.5 or newer)")
        if requested == "flex" and device.type != "cuda":
            raise SystemExit("--attention flex trains on CUDA only (torch's flex_attention has no CPU backward)")
        return requested
    if device.type == "cuda" and flash_varlen() is not None:
        return "flash"
    if device.type == "cuda" and flex_functions() is not None:
        return "flex"
    return "sdpa"


def rope_tables(position_ids, head_dim, base=10000.0):
    """cos, sin [B, 1, T, head_dim/2] for the given positions [B, T]."""
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2, device=position_ids.device, dtype=torch.float32) / head_dim))
    angles = position_ids.to(torch.float32)[..., None] * inv
    return angles.cos()[:, None], angles.sin()[:, None]


def apply_rope(x, cos, sin):
    """x [B, H, T, D]; rotates the (first half, second half) pairs."""
    a, b = x.float().chunk(2, dim=-1)
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1).to(x.dtype)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.out = nn.Linear(width, width, bias=False)

    def forward(self, x, ctx):
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        if ctx["rope"] is not None:
            q, k = apply_rope(q, *ctx["rope"]), apply_rope(k, *ctx["rope"])
        backend = ctx["backend"]
        if backend == "sdpa":
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=ctx["mask"])
        elif backend == "flex":
            y = ctx["flex"](q, k, v, block_mask=ctx["mask"])
        else:  # flash: one row (b == 1), [T, H, D] with cu_seqlens
            q, k, v = (z[0].transpose(0, 1) for z in (q, k, v))
            y = ctx["flash"](q, k, v, ctx["cu_seqlens"], ctx["cu_seqlens"], ctx["max_seqlen"], ctx["max_seqlen"],
                             causal=True)
            y = y.transpose(0, 1)[None]
        return self.out(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, ctx):
        x = x + self.attn(self.ln1(x), ctx)
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab_size, width=64, layers=2, heads=4, max_positions=None, positions="rope"):
        super().__init__()
        if width % heads or (width // heads) % 2:
            raise SystemExit("--width must be a multiple of 2 x --heads")
        self.heads, self.positions = heads, positions
        self.embed = nn.Embedding(vocab_size, width)
        self.pos = nn.Embedding(max_positions, width) if positions == "learned" else None
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab_size, bias=False)
        self.head.weight = self.embed.weight  # tied
        self.apply(self._init)

    @staticmethod
    def _init(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, input_ids, position_ids, ctx):
        x = self.embed(input_ids)
        if self.pos is not None:
            x = x + self.pos(position_ids)
            ctx["rope"] = None
        else:
            ctx["rope"] = rope_tables(position_ids, x.shape[-1] // self.heads)
        for block in self.blocks:
            x = block(x, ctx)
        return self.head(self.ln(x))


def lr_at(step, steps, warmup, peak, floor_ratio=0.1):
    """Linear warmup to `peak` over `warmup` steps, then cosine decay to floor_ratio x peak at `steps`."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, steps - warmup))
    return peak * (floor_ratio + (1 - floor_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def batch_context(batch, backend, device, flex):
    """Moves a collated batch to the device and builds what the attention backend needs."""
    ctx = {"backend": backend}
    if backend == "flash":
        ctx["flash"] = flash_varlen()
        ctx["cu_seqlens"] = batch["cu_seqlens"].to(device)
        ctx["max_seqlen"] = batch["max_seqlen"]
    elif backend == "flex":
        flex_attention, create_block_mask = flex
        seg = batch["segment_ids"].to(device)

        def document_causal(b, h, q, kv):
            return (kv <= q) & (seg[b, q] == seg[b, kv])

        b, length = seg.shape
        ctx["flex"] = flex_attention
        ctx["mask"] = create_block_mask(document_causal, b, None, length, length, device=str(device))
    else:
        ctx["mask"] = batch["attention_mask"].to(device)
    return ctx


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a packed folder (manifest.json, train/...)")
    parser.add_argument("--set", default="train", help="the set to train on (train or cooldown)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="auto", help="auto (cuda when available), cpu, cuda, cuda:N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    parser.add_argument("--warmup", type=int, default=None, help="warmup steps (default: 10%% of --steps)")
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--positions", choices=["rope", "learned"], default="rope")
    parser.add_argument("--attention", choices=["auto", "sdpa", "flex", "flash"], default="auto")
    parser.add_argument("--no-mask-seams", action="store_true", help="keep the first label of each segment")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    backend = choose_attention(args.attention, device)
    dataset = PackedDataset(args.data, set=args.set, mask_seams=not args.no_mask_seams)
    if len(dataset) == 0:
        raise SystemExit(f"{args.data}: no windows in set {args.set!r}")
    vocab = int(dataset.vocab_size or 0)
    if vocab <= 0:
        raise SystemExit(f"{args.data}: manifest.json has no vocab_size")
    generator = torch.Generator().manual_seed(args.seed)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=args.batch_size, shuffle=True, drop_last=len(dataset) >= args.batch_size,
        generator=generator, num_workers=args.workers,
        collate_fn=collate_varlen if backend == "flash" else collate_sdpa)

    model = TinyGPT(vocab, args.width, args.layers, args.heads, dataset.seq_len, args.positions).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    other = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": other, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    warmup = args.warmup if args.warmup is not None else max(1, args.steps // 10)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else None
    flex = None
    if backend == "flex":  # compiled, as flex_attention is meant to run (eager materializes the scores)
        flex_attention, create_block_mask = flex_functions()
        flex = (torch.compile(flex_attention, dynamic=False), create_block_mask)
    print(f"data {args.data} set {args.set}: {len(dataset)} windows of {dataset.seq_len}, attention "
          f"{dataset.attention}; backend {backend} on {device}; {sum(p.numel() for p in model.parameters())} "
          f"parameters", flush=True)

    losses, tokens, step = [], 0, 0
    started = time.perf_counter()
    while step < args.steps:
        for batch in loader:
            if step >= args.steps:
                break
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, args.steps, warmup, args.lr)
            input_ids = batch["input_ids"].to(device)
            labels = batch["labels"].to(device)
            ctx = batch_context(batch, backend, device, flex)
            if autocast is not None:
                with autocast:
                    logits = model(input_ids, batch["position_ids"].to(device), ctx)
            else:
                logits = model(input_ids, batch["position_ids"].to(device), ctx)
            # HF convention: the logits at t predict labels[t + 1].
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab).float(), labels[:, 1:].reshape(-1),
                                   ignore_index=IGNORE_INDEX)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
            tokens += input_ids.numel()
            step += 1
            if step % args.log_every == 0 or step == 1 or step == args.steps:
                print(f"step {step} loss {losses[-1]:.4f} lr {optimizer.param_groups[0]['lr']:.2e}", flush=True)
    elapsed = time.perf_counter() - started
    print(json.dumps({"first_loss": losses[0], "last_loss": losses[-1], "steps": step,
                      "tokens_per_s": tokens / elapsed if elapsed > 0 else None, "backend": backend,
                      "device": str(device)}), flush=True)


if __name__ == "__main__":
    main()
