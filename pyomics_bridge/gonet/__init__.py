"""Gene-Ontology-structured neural networks for phenotype prediction (PyTorch, extra ``torch``).

Planned content (issue "Interpretable phenotype prediction"). torch is imported only inside the model modules.
Nothing is implemented here yet.
"""

__all__: list[str] = []
