"""The procedural scene as pure data (numpy, no USD): terrain and craters, rock meshes, their
placement, the camera, the sun and the star field. Randomness only through explicit generators.
"""
