"""Stand-in for `omni.replicator.core`: render products, annotators and an orchestrator whose
`step_async` ray-casts the omni.usd stage (see `raycast.py`); calls recorded in `standin.calls`."""
import raycast
import standin


class _RenderProduct:
    count = 0

    def __init__(self, camera, resolution):
        _RenderProduct.count += 1
        self.camera, self.resolution = str(camera), tuple(resolution)
        self.path = f"/Render/RenderProduct_{_RenderProduct.count}"
        self.destroyed = False
        _live.append(self)

    def destroy(self):
        self.destroyed = True
        _live.remove(self)


_live: list = []
_annotators: list = []


class create:  # noqa: N801 - module-like namespace, as in Replicator
    @staticmethod
    def render_product(camera, resolution, force_new=False, name=None):
        standin.calls.append(("render_product", (str(camera), tuple(resolution))))
        return _RenderProduct(camera, resolution)


class _Annotator:
    def __init__(self, name, init_params=None):
        if name == "semantic_segmentation" and (init_params or {}).get("colorize", True):
            raise AssertionError("stand-in supports raw ids only: init_params={'colorize': False}")
        self.name, self.products, self._data = name, [], None

    def attach(self, render_products):
        self.products = list(render_products)
        _annotators.append(self)

    def detach(self):
        self.products = []
        _annotators.remove(self)

    def get_data(self):
        if self._data is None:
            raise RuntimeError(f"{self.name}: no data before a step")
        return self._data


class AnnotatorRegistry:
    NAMES = ("rgb", "semantic_segmentation", "distance_to_image_plane", "distance_to_camera")

    @staticmethod
    def get_annotator(name, init_params=None, device=None, do_array_copy=True):
        if name not in AnnotatorRegistry.NAMES:
            raise KeyError(f"unknown annotator {name!r}")
        return _Annotator(name, init_params)


class orchestrator:  # noqa: N801
    capture_on_play = True
    steps = 0

    @staticmethod
    def set_capture_on_play(value):
        orchestrator.capture_on_play = bool(value)

    @staticmethod
    async def step_async(rt_subframes=-1, pause_timeline=True, delta_time=None, wait_for_render=True):
        import omni.usd

        orchestrator.steps += 1
        stage = omni.usd.get_context().get_stage()
        for product in {id(p): p for a in _annotators for p in a.products}.values():
            out = raycast.render(stage, product.camera, *product.resolution,
                                 drop_instanced=standin.replicator["drop_instanced_labels"],
                                 drop_rocks=standin.replicator["drop_all_rock_labels"])
            for annotator in _annotators:
                if product in annotator.products:
                    annotator._data = out[annotator.name]

    @staticmethod
    async def wait_until_complete_async():
        pass
