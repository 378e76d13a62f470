/// Planning: how big a model and how many tokens for a compute budget (scaling laws), fits of the user's
/// own runs, and learning-rate schedules for (continual) pretraining. Pure arithmetic: no I/O.
public enum Planning {}
