"""The pinned container image: recipes, lock files, `specc image build / show / lock`.

This folder holds both the recipes (`cpu/Containerfile`, `cuda/Containerfile`, the
requirement locks, `image.lock`) and the code that builds and resolves them:

    variants.py       the two variants: recipe, requirement lock, base, torch build
    engine.py         podman or docker, with the settings this kind of machine needs
    requirements.py   `specc image lock`: exact versions and hashes, resolved by pip
    wheelhouse.py     the wheels of a requirement lock, downloaded once and verified
    base.py           the CPU base made offline: debootstrap + `podman import`
    imagelock.py      containers/image.lock: what `specc image build` pinned
    build.py          `specc image build`
    resolve.py        which image a run uses, refused when it differs from the lock
    probe.py          run inside an image: the environment it reports
"""
