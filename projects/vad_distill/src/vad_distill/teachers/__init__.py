"""Object-level teachers built in the project (spec §11.2), for data without the paper's
teachers: background-subtraction proposals, a motion and an appearance model, and the maps they
paint, written in the official ``.npy`` layout that the training loader reads."""
