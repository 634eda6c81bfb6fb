"""Every threshold of the quality checks and of the face comparison, in one configuration object.

The numbers of the CHSI standard come from ``core.imaging.standard``. The others are not fixed by
the standard: each says what it was calibrated on (``../shared/fixtures/``, see
``bench/calibrate_face_threshold.py`` for the face comparison and ``tests/core/imaging/test_quality.py``
for the checks, which print the measured ranges).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.imaging.standard import EYE_LINE_RANGE, FACE_WIDTH_RANGE, HAIR_TOP_RANGE

MAX_UPSCALE = 1.25
"""A face may be enlarged at most this much to reach the standard's minimum face width. Face
finding refuses smaller faces with it, and the resolution check reports against it."""


@dataclass(frozen=True)
class ImagingThresholds:
    # --- From the CHSI standard (教毕指[2017]99号) ---
    hair_top_range: tuple[int, int] = HAIR_TOP_RANGE
    eye_line_range: tuple[int, int] = EYE_LINE_RANGE
    face_width_range: tuple[int, int] = FACE_WIDTH_RANGE

    # --- Resolution: the face finder's own limit, so that both refuse the same faces ---
    max_upscale: float = MAX_UPSCALE

    # --- Calibrated on the London set: 51 neutral portraits, standardised by the real pipeline, all
    #     pass; the limit is set just outside their most extreme value (given in brackets) ---
    max_centre_offset_px: float = 24.0  # 5 % of the width (pipeline output is within ±3 px)
    max_roll_deg: float = 6.0  # neutral |roll| ≤ 4.7°; the rotation-by-10° test must fail
    max_yaw_deg: float = 20.0  # neutral |yaw| ≤ 18.5° (the generic 3-D model is coarse)
    pitch_range_deg: tuple[float, float] = (-5.0, 25.0)  # neutral −0.6° to 20.3° (model-dependent offset)
    min_eye_openness: float = 0.2  # neutral ≥ 0.24
    min_iris_contrast: float = 0.25  # dark iris between brighter sides inside the eye outline (see
    #   quality/eyes.py), calibrated on the fixtures: neutral ≥ 0.400, smiling ≥ 0.316, faces/ ≥ 0.382,
    #   the 51 neutral captures blurred, darkened, shadowed, rotated or noisy ≥ 0.295 (blur); the same
    #   captures with the eyes painted shut ≤ 0.243, and ≤ 0.215 on the 31 whose landmarks still draw
    #   an open eye (openness ≥ 0.2), so all 51 are caught
    narrow_eye_iris_contrast: float = 0.4  # an eye under min_eye_openness still counts as open at this
    #   iris contrast: painted shut ≤ 0.243 (0.326 on landmarks found again on the delivered photo,
    #   openness 0.075); on lfw_east_asian/ (enlarged 2.5×) the narrow eyes that are closed or
    #   squinting reach 0.35 and all 16 above 0.4 are open (checked by eye), as are 013_smiling
    #   (0.433) and faces/biden/2 (0.554), which openness alone flagged
    max_mouth_opening: float = 0.14  # neutral ≤ 0.115 (landmarks on a blurred or shadowed capture of
    #   parted lips at rest, 0.094, move it by up to +0.03, and by +0.09 (096_neutral blurred, 0.188) at the
    #   larger scale that frames the body to the bottom edge): a gap beyond it counts only when the photo
    #   shows teeth or dark between the lips (min_parted_dark_area; the blurred 096 shows 0.0)
    # Teeth and the mouth's dark inside (quality/mouth.py), as areas over the squared mouth width,
    #   calibrated on the London portraits labelled by eye in tests/core/imaging/data/mouth_labels.csv
    #   (bench/bench_mouth.py prints the table and the ranges): the 28 smiling with visible teeth show
    #   0.0041–0.099 of teeth, and those under 0.0188 show ≥ 0.0071 of dark beside them; the 51 neutral
    #   ≤ 0.0058 (highlights on the glossy lower lips of 025 and 126, with ≤ 0.0012 of dark), and none
    #   where the dark exceeds 0.003 (lips parted at rest: 113 with 0.0099 of dark shows 0.0 of teeth).
    #   The faces/ photos agree by eye: 8 with teeth flagged, closed mouths pass (obama/3, a glimpse of
    #   teeth, 0.002 with 0.024 of dark, passes; kit_harington/3's moustache gives 0.032 of dark, 0.001)
    max_teeth_area: float = 0.010
    max_teeth_area_parted: float = 0.0025  # ... counts when the dark between the lips exceeds the next
    min_parted_dark_area: float = 0.003
    max_mouth_width: float = 0.97  # neutral ≤ 0.948 (mouth over eye distance)
    max_corner_lift: float = 0.1  # neutral ≤ 0.08 (landmarks found again on the output move it by ±0.005)
    min_sharpness: float = 0.3  # neutral ≥ 0.63; a capture blurred by σ = 1.2 % of the face width falls below
    max_noise: float = 3.5  # neutral captures at output scale ≤ 2.1; added noise of σ = 14 gives about 8
    highlight_range: tuple[float, float] = (80.0, 250.0)  # neutral 93–203 (skin p98, all complexions)
    min_contrast: float = 0.2  # neutral ≥ 0.33
    max_lighting_imbalance: float = 0.25  # neutral ≤ 0.13
    min_skin_saturation: float = 0.08  # neutral ≥ 0.17; the same photos in greyscale ≤ 0.002
    skin_hue_range_deg: tuple[float, float] = (15.0, 80.0)  # neutral 28.7°–61.3°

    # --- Body to the bottom edge (quality/bottom.py): share of the body's columns with background under
    #     them in the bottom rows. The 102 London portraits and 14 standardised faces/ photos, with the
    #     body completed, ≤ 0.02; standardised with a flat cut above a background band (before the
    #     completion), 96 of the 102 London portraits measured 1.0 and the other 6 reached the edge (0) ---
    max_bottom_strip: float = 0.1

    # --- Calibrated on London captures (plain grey, ≤ 0.001) against the everyday photos of faces/:
    #     flags, people or scenery behind ≥ 0.095 (obama, biden, kit_harington, rose_leslie/2);
    #     rose_leslie/1, a plain blurred interior, 0.028 passes ---
    max_background_clutter: float = 0.05

    # --- Derived from the enrolment photo, calibrated on the London set: each of the 102 standardised
    #     photos against its own source (all must be flagged: phash ≤ 16 bits, distance ≤ 0.077) and
    #     against the other photo of the same session (none may be: phash ≥ 8 bits, distance ≥ 0.084,
    #     the nearest being 135_smiling at 8 bits and 0.084). Either sign alone when strong; both
    #     together only when the hash is one bit short of strong. With the framing that reaches the
    #     bottom edge, a wider both-moderate band (phash ≤ 12 and distance ≤ 0.09) flagged 135_smiling,
    #     a real second shot, and caught no source photo that a single sign missed ---
    max_derived_phash_distance: int = 6
    max_derived_embedding_distance: float = 0.08
    max_derived_phash_distance_with_embedding: int = 7
    max_derived_embedding_distance_with_phash: float = 0.09

    # --- Face comparison, on the fused distance (core/imaging/compare.py): chosen by
    #     bench/calibrate_face_threshold.py from all pairs of lfw_east_asian/ (178 press photos of 15
    #     people with a face found: 2 298 same-person and 13 455 different-person pairs) as the widest
    #     `same` with ≤ 0.1 % of different people judged same and the narrowest `different` with ≤ 2 %
    #     of same people judged different. On those pairs: 1.96 % / 0.097 % / 3.9 % uncertain (dlib's
    #     descriptor alone: 10.3 %); held out by identity (each pair judged by a band chosen without
    #     its two people) 1.57 % / 0.171 % / 5.5 % (dlib alone 1.96 % / 0.230 % / 11.45 %); on
    #     london/ (neutral vs smiling, 51 people): 0 % / 0 % / 0.5 %. The fusion maps the second
    #     network's cosine distance onto dlib's scale by the mean and spread of both over all those
    #     pairs (no labels used) and averages the two. ---
    same_max_distance: float = 0.4109
    different_min_distance: float = 0.4978
    fusion_dlib_mean: float = 0.5879
    fusion_dlib_spread: float = 0.1297
    fusion_second_mean: float = 0.4736
    fusion_second_spread: float = 0.1199

    # --- dlib's descriptor alone, for enrolment embeddings stored before the second descriptor
    #     (until their job recomputes them): same pairs and rule, 1.96 % / 0.097 % / 10.3 %
    #     uncertain. dlib's documented 0.6 would judge 38.7 % of the different-person LFW pairs the
    #     same person. ---
    dlib_same_max_distance: float = 0.3922
    dlib_different_min_distance: float = 0.5174

    # --- One network pass instead of two (core/imaging/matching.py), measured by
    #     bench/calibrate_face_threshold.py on every ordered pair of lfw_east_asian/ and london/ (capture
    #     single pass against enrolment mirror-averaged): no pair judged other than `same` by the full
    #     embedding lies below 0.377 single-pass, none judged other than `different` above 0.590, so
    #     the margins below keep a further 0.02 clear of both and every verdict equal. A photo's single-
    #     pass descriptor lies at most 0.155 from its averaged one, which bounds how near the enrolment
    #     face the derived check may need the precise embedding ---
    single_pass_same_margin: float = 0.035
    single_pass_different_margin: float = 0.09
    max_single_pass_offset: float = 0.16

    # --- Re-photographed print or screen (core/imaging/recapture.py), an advisory flag. Chosen by
    #     bench/bench_recapture.py: the fixtures the pipeline accepts (London, faces/) and the London
    #     portraits as 1280×960 or simulated phone captures score at most 0.47; at 0.6, 96 % of
    #     simulated prints are flagged (glossy ones with glare 76 %), all simulated screens ---
    recapture_flag_score: float = 0.6


DEFAULT_THRESHOLDS = ImagingThresholds()
